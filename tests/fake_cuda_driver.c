/* A stand-in for libcuda.so.1 on machines without a GPU, for tests of runtime/cuda.py only.
 *
 * "Device memory" is host memory from malloc, so every copy is a memcpy and the Python side
 * of the runtime (contexts, the pool, copies, strided reads, device arrays, interop, shared
 * variables, out-of-memory) runs for real.  Kernels do not run: a "cubin" starting with FAKE
 * loads, and a launch records its grid, block and first three parameters (8 bytes each).
 * Allocations larger than FAKE_CUDA_MEMORY fail with CUDA_ERROR_OUT_OF_MEMORY, as a real
 * device does when the pool cannot grow.  Counters let tests check what was called.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

#define FAKE_CUDA_MEMORY (1ull << 32)

static int context_token;
static int pool_token;
static int event_token;
static const char *names[] = {"CUDA_SUCCESS", "CUDA_ERROR_INVALID_VALUE",
                              "CUDA_ERROR_OUT_OF_MEMORY"};
static const char *texts[] = {"no error", "invalid argument", "out of memory"};

/* Counters read by the tests through ctypes. */
long fake_allocs, fake_frees, fake_htod, fake_dtoh, fake_dtod, fake_waits, fake_threshold_set;
long fake_launches, fake_grid_x, fake_block_x;
unsigned long long fake_parameters[3];
void *fake_current;
static int module_token, function_token;

CUresult cuInit(unsigned int flags) { return flags == 0 ? 0 : 1; }
CUresult cuDriverGetVersion(int *version) { *version = 13000; return 0; }

CUresult cuGetErrorName(CUresult error, const char **name) {
    if (error < 0 || error > 2) return 1;
    *name = names[error];
    return 0;
}

CUresult cuGetErrorString(CUresult error, const char **text) {
    if (error < 0 || error > 2) return 1;
    *text = texts[error];
    return 0;
}

CUresult cuDeviceGetCount(int *count) { *count = 1; return 0; }
CUresult cuDeviceGet(int *device, int ordinal) { *device = ordinal; return ordinal == 0 ? 0 : 1; }

CUresult cuDeviceGetName(char *name, int length, int device) {
    (void)device;
    strncpy(name, "Fake GPU", (size_t)length);
    return 0;
}

CUresult cuDeviceGetAttribute(int *value, int attribute, int device) {
    (void)device;
    *value = attribute == 75 ? 9 : attribute == 76 ? 0 : 1;
    return 0;
}

CUresult cuDeviceTotalMem_v2(size_t *bytes, int device) {
    (void)device;
    *bytes = FAKE_CUDA_MEMORY;
    return 0;
}

CUresult cuDevicePrimaryCtxRetain(void **context, int device) {
    (void)device;
    *context = &context_token;
    return 0;
}

CUresult cuCtxSetCurrent(void *context) { fake_current = context; return 0; }
CUresult cuCtxGetCurrent(void **context) { *context = fake_current; return 0; }
CUresult cuCtxSynchronize(void) { return fake_current ? 0 : 1; }

CUresult cuDeviceGetMemPool(void **pool, int device) {
    (void)device;
    *pool = &pool_token;
    return 0;
}

CUresult cuMemPoolSetAttribute(void *pool, int attribute, void *value) {
    if (pool != &pool_token || attribute != 4) return 1;
    fake_threshold_set = *(unsigned long long *)value == ~0ull;
    return 0;
}

CUresult cuMemAllocAsync(CUdeviceptr *pointer, size_t bytes, void *stream) {
    if (stream != NULL || bytes == 0 || !fake_current) return 1;
    if (bytes > FAKE_CUDA_MEMORY) return 2;
    void *memory = malloc(bytes);
    if (!memory) return 2;
    *pointer = (CUdeviceptr)(uintptr_t)memory;
    fake_allocs++;
    return 0;
}

CUresult cuMemFreeAsync(CUdeviceptr pointer, void *stream) {
    if (stream != NULL || !fake_current) return 1;
    free((void *)(uintptr_t)pointer);
    fake_frees++;
    return 0;
}

CUresult cuMemGetInfo_v2(size_t *free_bytes, size_t *total) {
    *free_bytes = FAKE_CUDA_MEMORY;
    *total = FAKE_CUDA_MEMORY;
    return 0;
}

CUresult cuMemcpyHtoD_v2(CUdeviceptr destination, const void *source, size_t bytes) {
    memcpy((void *)(uintptr_t)destination, source, bytes);
    fake_htod++;
    return 0;
}

CUresult cuMemcpyDtoH_v2(void *destination, CUdeviceptr source, size_t bytes) {
    memcpy(destination, (const void *)(uintptr_t)source, bytes);
    fake_dtoh++;
    return 0;
}

CUresult cuMemcpyDtoD_v2(CUdeviceptr destination, CUdeviceptr source, size_t bytes) {
    memcpy((void *)(uintptr_t)destination, (const void *)(uintptr_t)source, bytes);
    fake_dtod++;
    return 0;
}

CUresult cuMemsetD8_v2(CUdeviceptr destination, unsigned char value, size_t count) {
    memset((void *)(uintptr_t)destination, value, count);
    return 0;
}

CUresult cuPointerGetAttribute(void *data, int attribute, CUdeviceptr pointer) {
    (void)pointer;
    if (attribute != 9) return 1;
    *(int *)data = 0;
    return 0;
}

CUresult cuEventCreate(void **event, unsigned int flags) {
    (void)flags;
    *event = &event_token;
    return 0;
}

CUresult cuEventRecord(void *event, void *stream) { (void)stream; return event ? 0 : 1; }
CUresult cuEventDestroy_v2(void *event) { return event ? 0 : 1; }

CUresult cuStreamWaitEvent(void *stream, void *event, unsigned int flags) {
    (void)stream;
    (void)flags;
    fake_waits++;
    return event ? 0 : 1;
}

CUresult cuModuleLoadData(void **module, const void *image) {
    if (memcmp(image, "FAKE", 4) != 0) return 1;
    *module = &module_token;
    return 0;
}

CUresult cuModuleUnload(void *module) { (void)module; return 0; }

CUresult cuModuleGetFunction(void **function, void *module, const char *name) {
    if (module != &module_token || strcmp(name, "k") != 0) return 1;
    *function = &function_token;
    return 0;
}

CUresult cuLaunchKernel(void *function, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                        unsigned by, unsigned bz, unsigned shared, void *stream, void **params,
                        void **extra) {
    if (function != &function_token || gy != 1 || gz != 1 || by != 1 || bz != 1 || shared
        || stream || extra) return 1;
    fake_launches++;
    fake_grid_x = gx;
    fake_block_x = bx;
    for (int i = 0; i < 3; i++) memcpy(&fake_parameters[i], params[i], 8);
    return 0;
}
