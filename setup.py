"""arignote: a Theano-style symbolic expression compiler for Python."""

from setuptools import find_packages, setup

setup(
    name="arignote",
    version="0.1.0",
    description="Theano-compatible symbolic expression compiler: graphs, gradients, "
                "whole-function C/CUDA code generation, scan",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["arignote", "arignote.*"]),
    package_data={"arignote": ["kernels/*.c", "kernels/*.h", "kernels/*.cu", "kernels/*.cuh"]},
    python_requires=">=3.10",
    install_requires=["numpy>=1.24", "scipy>=1.10", "sympy>=1.12", "cffi>=1.15",
                      "scipy-openblas32>=0.3.27", "tqdm>=4.60", "matplotlib>=3.5"],
    # cuda: NVRTC compiles the generated CUDA, cuBLAS runs dot/gemm, cuda-runtime brings the
    # headers (cuda.h, cuda_fp16.h); libcuda itself comes with the NVIDIA driver.  The test
    # extra has NVRTC and the headers so that CPU-only CI compile-checks the generated CUDA.
    extras_require={"test": ["pytest>=7", "pytest-xdist>=3", "hypothesis>=6",
                             "nvidia-cuda-nvrtc>=13,<14; sys_platform == 'linux'",
                             "nvidia-cuda-runtime>=13,<14; sys_platform == 'linux'"],
                    "cuda": ["nvidia-cuda-nvrtc>=13,<14", "nvidia-cuda-runtime>=13,<14",
                             "nvidia-cublas>=13,<14"]},
    license="BSD-3-Clause",
)
