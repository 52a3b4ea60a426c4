/* Shape or byte strides of one kernel operand, passed by value to generated CUDA kernels
 * (the host module and the device code both include this, so the layouts agree). */
#ifndef ARIGNOTE_AG_DIMS_H
#define ARIGNOTE_AG_DIMS_H

#define AG_DIMS 16

typedef struct {
    long long v[AG_DIMS];
} ag_dims;

#endif /* ARIGNOTE_AG_DIMS_H */
