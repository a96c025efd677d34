"""What of PyTorch's public surface tinytensor does not plan to provide, and why.

``NOT_PLANNED[namespace][name]`` is a one-line reason; ``tests/test_coverage_torch.py`` checks
that every public name of ``torch``, ``torch.Tensor``, ``torch.linalg``, ``torch.special`` and
``torch.fft`` either exists here or has a row (and that no row names something that exists).
``tinytensor.linalg`` and ``tinytensor.fft`` keep their own ``NOT_PLANNED`` tables, merged in.

>>> import tinytensor as tt
>>> tt.compat.NOT_PLANNED["torch"]["bfloat16"]
'bfloat16 has no NumPy dtype; use float16, float32 or float64'

Asking for such a name raises with its reason: ``tt.autocast`` and ``tt.linalg.lu`` an
AttributeError, ``x.storage()`` too (through ``Tensor.__getattr__``), and ``import
tinytensor.jit`` (any ``NOT_PLANNED_MODULES`` row) a ModuleNotFoundError:

>>> tt.autocast
Traceback (most recent call last):
  ...
AttributeError: tinytensor.autocast (torch.autocast) is not planned: autocast (mixed precision ...
"""

from __future__ import annotations

import sys

from tinytensor import fft as _fft
from tinytensor import linalg as _linalg
from tinytensor import special as _special
from tinytensor._namespace.not_planned import mark_not_planned
from tinytensor.tensor import Tensor


def _rows(reason, names):
    return dict.fromkeys(names.split(), reason)


_CUDA = "other devices: tinytensor computes on the CPU only; drop the device calls (or pass 'cpu')"
_SPARSE = (
    "sparse layouts other than COO: tinytensor has sparse COO tensors only (tt.sparse_coo_tensor, "
    "Tensor.to_sparse; indices/values/coalesce live on the sparse tensor); use COO or keep "
    "tensors dense"
)
_QUANT = (
    "quantization: tinytensor computes in float16/32/64 and integers only; keep the model in "
    "float32 (quantize the exported ONNX file instead)"
)
_JIT = (
    "TorchScript/jit internals: tinytensor has no TorchScript; call the function or module "
    "itself, or tt.compile it"
)
_COMPILE = (
    "torch.compile/export/functionalization internals: tt.compile traces NumPy kernels, not "
    "FX graphs; call the function or module itself, or tt.compile it"
)
_COMPLEX = "complex dtypes: tinytensor has none; keep real and imaginary parts as two real tensors"
_STORAGE = (
    "storage objects: a tinytensor tensor owns a NumPy array, not a Storage; use x.numpy() (the "
    "same memory), x.data_ptr() or x.clone()"
)
_AUTOCAST = "autocast (mixed precision on devices): use .half()/.float() explicitly"
_DIST = (
    "a legacy distributed-storage query (False for every ordinary tensor in PyTorch); "
    "tinytensor.distributed works on ordinary tensors: drop the call"
)
_NAMED = (
    "named tensors (a prototype in PyTorch): tinytensor has no dimension names; index "
    "dimensions by position"
)
_BUILD = "libtorch build/dispatch internals with no meaning on NumPy; remove the call"
_ATEN = "ATen binding behind torch.nn.functional (positional ATen signature): use tt.nn.functional"
_SHELL = (
    "PyTorch's limited-support 'shell' dtype: tinytensor provides the int8..int64/uint8 set; "
    "use one of those"
)
_LEGACY = "deprecated in PyTorch"
_NO_KERNEL = (
    "no NumPy kernel (SciPy's Cephes has it; tinytensor depends on NumPy only), and no "
    "gradient in PyTorch either; compute it with scipy.special on x.numpy()"
)
_ALIAS = "functional *_copy twin of a view op, for torch.compile: call the op and .clone()"

_TORCH = {
    **_rows("regularized incomplete gamma: " + _NO_KERNEL, "igamma igammac"),
    **_rows(
        _JIT,
        "AliasDb AnyType Argument ArgumentSpec AwaitType Block BoolType CallStack Capsule "
        "ClassType Code CompilationUnit CompleteArgumentSpec ConcreteModuleType "
        "ConcreteModuleTypeBuilder DeepCopyMemoTable DeserializationStorageContext "
        "DeviceObjType DictType EnumType ErrorReport ExecutionPlan FileCheck FloatType "
        "FunctionSchema Future FutureType Gradient Graph GraphExecutorState IODescriptor "
        "InferredType IntType InterfaceType JITException ListType LiteScriptModule "
        "LockingLogger LoggerBase ModuleDict Node NoneType NoopLogger NumberType OptionalType "
        "ParameterDict BufferDict PyObjectType PyTorchFileReader PyTorchFileWriter RRefType "
        "ScriptClass ScriptClassFunction ScriptDict ScriptDictIterator ScriptDictKeyIterator "
        "ScriptFunction ScriptList ScriptListIterator ScriptMethod ScriptModule "
        "ScriptModuleSerializer ScriptObject ScriptObjectProperty SerializationStorageContext "
        "StaticModule StreamObjType StringType SymBoolType SymIntType TensorType TracingState "
        "TupleType Type UnionType Use Value fork wait import_ir_module "
        "import_ir_module_from_buffer merge_type_from_type_comment parse_ir parse_schema "
        "parse_type_comment unify_type_list OperatorInfo ComplexType",
    ),
    **_rows(
        _COMPILE,
        "SymBool SymFloat SymInt sym_constrain_range sym_constrain_range_for_size sym_float "
        "sym_fresh_size sym_int sym_ite sym_max sym_min sym_not sym_sqrt sym_sum while_loop "
        "cond segment_reduce slice_inverse PRIVATE_OPS Tag DisableTorchFunction "
        "DisableTorchFunctionSubclass DispatchKey DispatchKeySet ExcludeDispatchKeyGuard "
        "classproperty thread_safe_generator",
    ),
    **_rows(
        _ALIAS,
        "alias_copy as_strided_copy detach_copy diagonal_copy expand_copy "
        "permute_copy select_copy slice_copy split_copy split_with_sizes_copy squeeze_copy "
        "t_copy transpose_copy unbind_copy unfold_copy unsqueeze_copy view_copy",
    ),
    **_rows(
        _BUILD,
        "TYPE_CHECKING USE_GLOBAL_DEPS USE_RTLD_GLOBAL_WITH_LIBTORCH compiled_with_cxx11_abi "
        "has_lapack has_mkl has_openmp has_spectral init_num_threads get_file_path "
        "prepare_multiprocessing_environment profiler_allow_cudagraph_cupti_lazy_reinit_cuda12 "
        "AVG SUM AggregationType BenchmarkConfig BenchmarkExecutionStats ThroughputBenchmark "
        "FatalError hash_tensor",
    ),
    **_rows(
        _CUDA,
        "AcceleratorError OutOfMemoryError Event Stream get_device_module is_vulkan_available "
        "cudnn_affine_grid_generator cudnn_batch_norm cudnn_convolution "
        "cudnn_convolution_add_relu cudnn_convolution_relu cudnn_convolution_transpose "
        "cudnn_grid_sampler cudnn_is_acceptable miopen_batch_norm miopen_convolution "
        "miopen_convolution_add_relu miopen_convolution_relu miopen_convolution_transpose "
        "miopen_ctc_loss miopen_depthwise_convolution miopen_rnn mkldnn_adaptive_avg_pool2d "
        "mkldnn_convolution mkldnn_linear_backward_weights mkldnn_max_pool2d mkldnn_max_pool3d "
        "mkldnn_rnn_layer GradScaler",
    ),
    **_rows(
        _QUANT,
        "choose_qparams_optimized dequantize empty_quantized fake_quantize_per_channel_affine "
        "fake_quantize_per_tensor_affine fbgemm_linear_fp16_weight "
        "fbgemm_linear_fp16_weight_fp32_activation fbgemm_linear_int8_weight "
        "fbgemm_linear_int8_weight_fp32_activation fbgemm_linear_quantize_weight "
        "fbgemm_pack_gemm_matrix_fp16 fbgemm_pack_quantized_matrix fused_moving_avg_obs_fake_quant "
        "int_repr per_channel_affine per_channel_affine_float_qparams per_channel_symmetric "
        "per_tensor_affine per_tensor_symmetric q_per_channel_axis q_per_channel_scales "
        "q_per_channel_zero_points q_scale q_zero_point qint32 qint8 qscheme quantize_per_channel "
        "quantize_per_tensor quantize_per_tensor_dynamic quantized_batch_norm quantized_gru "
        "quantized_gru_cell quantized_lstm quantized_lstm_cell quantized_max_pool1d "
        "quantized_max_pool2d quantized_max_pool3d quantized_rnn_relu_cell "
        "quantized_rnn_tanh_cell quint2x4 quint4x2 quint8 QInt32Storage QInt8Storage "
        "QUInt2x4Storage QUInt4x2Storage QUInt8Storage",
    ),
    **_rows(
        _SPARSE,
        "sparse_bsc sparse_bsc_tensor sparse_bsr sparse_bsr_tensor sparse_compressed_tensor "
        "sparse_csc sparse_csc_tensor sparse_csr sparse_csr_tensor "
        "smm hsmm dsmm saddmm sspaddmm hspmm ccol_indices_copy col_indices_copy "
        "crow_indices_copy row_indices_copy indices_copy values_copy resize_as_sparse_ jagged",
    ),
    **_rows(
        _STORAGE,
        "BFloat16Storage BoolStorage ByteStorage CharStorage ComplexDoubleStorage "
        "ComplexFloatStorage DoubleStorage FloatStorage HalfStorage IntStorage LongStorage "
        "ShortStorage Storage StorageBase TypedStorage UntypedStorage is_storage from_file",
    ),
    **_rows(
        _COMPLEX,
        "complex complex128 complex32 complex64 cfloat cdouble chalf polar view_as_complex "
        "view_as_complex_copy view_as_real view_as_real_copy stft istft imag",
    ),
    **_rows(
        _AUTOCAST,
        "autocast autocast_decrement_nesting autocast_increment_nesting "
        "clear_autocast_cache get_autocast_cpu_dtype get_autocast_dtype "
        "get_autocast_gpu_dtype get_autocast_ipu_dtype get_autocast_xla_dtype "
        "is_autocast_cache_enabled is_autocast_cpu_enabled is_autocast_enabled "
        "is_autocast_ipu_enabled is_autocast_xla_enabled set_autocast_cache_enabled "
        "set_autocast_cpu_dtype set_autocast_cpu_enabled set_autocast_dtype "
        "set_autocast_enabled set_autocast_gpu_dtype set_autocast_ipu_dtype "
        "set_autocast_ipu_enabled set_autocast_xla_dtype set_autocast_xla_enabled",
    ),
    **_rows(_DIST, "is_distributed"),
    **_rows(
        _ATEN,
        "adaptive_avg_pool1d adaptive_max_pool1d affine_grid_generator alpha_dropout "
        "alpha_dropout_ avg_pool1d batch_norm batch_norm_backward_elemt "
        "batch_norm_backward_reduce batch_norm_elemt batch_norm_gather_stats "
        "batch_norm_gather_stats_with_counts batch_norm_stats batch_norm_update_stats bilinear "
        "binary_cross_entropy_with_logits celu_ channel_shuffle constant_pad_nd convolution "
        "conv_tbc cosine_embedding_loss ctc_loss dropout_ embedding embedding_bag "
        "embedding_renorm_ feature_alpha_dropout feature_alpha_dropout_ feature_dropout "
        "feature_dropout_ grid_sampler grid_sampler_2d grid_sampler_3d group_norm gru gru_cell "
        "hinge_embedding_loss instance_norm kl_div layer_norm lstm lstm_cell margin_ranking_loss "
        "max_pool1d max_pool1d_with_indices max_pool2d max_pool3d native_batch_norm "
        "native_channel_shuffle native_dropout native_group_norm native_layer_norm native_norm "
        "norm_except_dim poisson_nll_loss rms_norm rnn_relu rnn_relu_cell rnn_tanh rnn_tanh_cell "
        "rrelu rrelu_ selu_ threshold_ triplet_margin_loss",
    ),
    **_rows(
        _SHELL,
        "uint16 uint32 uint64 uint1 uint2 uint3 uint4 uint5 uint6 uint7 int1 int2 int3 int4 "
        "int5 int6 int7 bits16 bits1x8 bits2x4 bits4x2 bits8 bit float8_e4m3fn "
        "float8_e4m3fnuz float8_e5m2 float8_e5m2fnuz float8_e8m0fnu float4_e2m1fn_x2",
    ),
    "bfloat16": "bfloat16 has no NumPy dtype; use float16, float32 or float64",
    "BFloat16Tensor": "bfloat16 has no NumPy dtype; use tt.FloatTensor or tt.HalfTensor",
    "frobenius_norm": _LEGACY + " (use tt.linalg.matrix_norm)",
    "nuclear_norm": _LEGACY + " (use tt.linalg.matrix_norm(A, 'nuc'))",
    "symeig": _LEGACY + " and removed (use tt.linalg.eigh)",
    "lstsq": _LEGACY + " and removed (use tt.linalg.lstsq)",
    "solve": _LEGACY + " and removed (use tt.linalg.solve)",
    "eig": _LEGACY + " and removed (complex eigenvectors; use tt.linalg.eigh)",
    "matrix_rank": _LEGACY + " and removed (use tt.linalg.matrix_rank)",
    "set_default_tensor_type": _LEGACY + " (use set_default_dtype)",
    "lu": "pivoted LU: NumPy exposes no LU factorization; use tt.linalg.solve, det or inv",
    "lu_solve": "see lu: NumPy has no pivoted LU; use tt.linalg.solve",
    "lu_unpack": "see lu: NumPy has no pivoted LU; use tt.linalg.solve",
    "geqrf": "LAPACK's Householder QR pieces: no NumPy kernel; use tt.linalg.qr",
    "orgqr": "see geqrf: no Householder kernels in NumPy; use tt.linalg.qr",
    "ormqr": "see geqrf: no Householder kernels in NumPy; use tt.linalg.qr",
    "lobpcg": "iterative sparse eigensolver: use tt.linalg.eigh",
    "pca_lowrank": "randomized low-rank solvers: use tt.linalg.svd",
    "svd_lowrank": "randomized low-rank solvers: use tt.linalg.svd",
    "as_strided_": _STORAGE + " (as_strided returns a gathered copy)",
}

_TENSOR = {
    **_rows(
        _SPARSE,
        "ccol_indices coalesce col_indices crow_indices dense_dim indices is_coalesced "
        "is_sparse_csr row_indices smm sparse_dim sparse_mask sparse_resize_ "
        "sparse_resize_and_clear_ sspaddmm to_sparse_bsc to_sparse_bsr "
        "to_sparse_csc to_sparse_csr values resize_as_sparse_ to_padded_tensor is_nested",
    ),
    **_rows(
        _QUANT,
        "dequantize int_repr q_per_channel_axis q_per_channel_scales q_per_channel_zero_points "
        "q_scale q_zero_point qscheme",
    ),
    **_rows(_STORAGE, "storage storage_type untyped_storage set_ is_set_to"),
    **_rows(
        _CUDA,
        "ipu xpu mtia is_ipu is_maia is_mkldnn is_mtia is_vulkan is_xla "
        "to_mkldnn record_stream",
    ),  # fmt: skip
    **_rows(_COMPLEX, "cdouble cfloat chalf imag istft stft"),
    **_rows(_NAMED, "name"),
    **_rows(_COMPILE, "slice_inverse as_subclass module_load hash_tensor grad_dtype"),
    **_rows(_DIST, "is_distributed"),
    "bfloat16": "bfloat16 has no NumPy dtype; use .half(), .float() or .double()",
    "eig": _LEGACY + " and removed (use tt.linalg.eigh)",
    "symeig": _LEGACY + " and removed (use tt.linalg.eigh)",
    "lstsq": _LEGACY + " and removed (use tt.linalg.lstsq)",
    "solve": _LEGACY + " and removed (use tt.linalg.solve)",
    "lu": "pivoted LU: NumPy exposes no LU factorization; use tt.linalg.solve, det or inv",
    "lu_solve": "see lu: NumPy has no pivoted LU; use tt.linalg.solve",
    "geqrf": "LAPACK's Householder QR pieces: no NumPy kernel; use tt.linalg.qr",
    "orgqr": "see geqrf: no Householder kernels in NumPy; use tt.linalg.qr",
    "ormqr": "see geqrf: no Householder kernels in NumPy; use tt.linalg.qr",
    "reinforce": _LEGACY + " and removed (raises in PyTorch too); backpropagate a loss instead",
    "volatile": _LEGACY + " (Variable's flag before no_grad; use tt.no_grad)",
    "prelu": _ATEN,
    "hardshrink": _ATEN,
    "index": "ATen's advanced-indexing op behind []: index with tensor[...]",
    "as_strided_": _STORAGE + " (as_strided returns a gathered copy)",
    **_rows("regularized incomplete gamma: " + _NO_KERNEL, "igamma igammac igamma_ igammac_"),
}

_SPECIAL = _rows(
    _NO_KERNEL,
    "airy_ai bessel_j0 bessel_j1 bessel_y0 bessel_y1 modified_bessel_k0 modified_bessel_k1 "
    "scaled_modified_bessel_k0 scaled_modified_bessel_k1 gammainc gammaincc zeta",
)

#: The table the coverage test reads, one dict of ``name: reason`` per namespace.
NOT_PLANNED = {
    "torch": _TORCH,
    "torch.Tensor": _TENSOR,
    "torch.linalg": {
        k: v if "use " in v else f"{v}: no NumPy kernel; use tt.linalg.solve or cholesky"
        for k, v in getattr(_linalg, "NOT_PLANNED", {}).items()
    },
    "torch.special": _SPECIAL,
    "torch.fft": dict(getattr(_fft, "NOT_PLANNED", {})),
}

#: Whole submodules not provided: ``tt.jit`` (and the others below) raise an
#: AttributeError carrying the reason. ``torch.utils.checkpoint`` is provided (it runs the
#: function without recomputation).
NOT_PLANNED_MODULES = {
    "torch.jit": (
        "TorchScript (torch.jit.script/trace): tinytensor has no TorchScript; drop the decorator "
        "or the trace and call the module itself (or tt.compile it)"
    ),
    "torch.amp": (
        "mixed precision (autocast, GradScaler) is for accelerators: tinytensor computes in "
        "the dtype you choose; drop autocast/GradScaler, or cast with .half()/.float()"
    ),
    "torch.hub": "downloading models from the network: load a state_dict with tt.load instead",
}



def _not_planned(qualname, torch_name, reason, error=AttributeError):
    return error(f"{qualname} ({torch_name}) is not planned: {reason}")


class _NotPlannedFinder:
    """Last on ``sys.meta_path``, so it only sees imports nothing else found: ``import
    tinytensor.jit`` (a ``NOT_PLANNED_MODULES`` row) and ``from tinytensor import autocast`` (a
    ``NOT_PLANNED["torch"]`` row) raise ModuleNotFoundError with the reason, not 'No module
    named'. The error's ``name`` stays None so ``from ... import`` does not swallow it."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        if not fullname.startswith("tinytensor."):
            return None
        torch_name = "torch" + fullname[len("tinytensor") :]
        reason = NOT_PLANNED_MODULES.get(torch_name)
        if reason is None and fullname.count(".") == 1:
            reason = NOT_PLANNED["torch"].get(fullname[len("tinytensor.") :])
        if reason is None:
            return None
        raise _not_planned(fullname, torch_name, reason, ModuleNotFoundError)


if not any(type(f).__name__ == "_NotPlannedFinder" for f in sys.meta_path):
    sys.meta_path.append(_NotPlannedFinder())


def _module_getattr(module, namespace):
    """A PEP 562 ``__getattr__`` for ``module`` raising with ``NOT_PLANNED[namespace]``'s reason."""

    def __getattr__(name):
        reason = NOT_PLANNED[namespace].get(name)
        if reason is not None:
            raise _not_planned(f"{module}.{name}", f"{namespace}.{name}", reason)
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__


# tt.linalg.lu, tt.special.zeta: the modules sit below this one, so their hooks are set here;
# x.storage: each Tensor row becomes a class attribute that raises with its reason.
_linalg.__getattr__ = _module_getattr("tinytensor.linalg", "torch.linalg")
_special.__getattr__ = _module_getattr("tinytensor.special", "torch.special")
mark_not_planned(Tensor, NOT_PLANNED["torch.Tensor"])
