"""Models built from small spec dicts, so a spec can also key the run cache.

build({"kind": "mlp", "depth": 2, "width": 18})            # 1 -> 18 -> 18 -> 1, ReLU
build({"kind": "cnn", "channels": [16, 32], "hidden": 64})  # conv-relu-pool stages, then an MLP head
build({"kind": "resnet20", "skip": False, "batchnorm": True})
model, hist = trained(spec, split, seed=0, device="cpu", epochs=3, lr=1e-3)   # trained once, then cached

registry  build / spec_n_params: the kinds and their builders
mlp       fully connected ReLU nets, closed-form parameter counts, parameter-matched families
cnn       small conv nets, specs for MNIST / CIFAR-10 input shapes
resnet    ResNet-20 with the skip / BatchNorm switches of the ablation
sizing    parameter counts, width matching, log-spaced sizes
runs      `trained`: build + `core.train.fit`, cached by a hash of spec, data, seed, device and fit arguments
"""

from .cnn import IMAGE_SHAPES, cnn, cnn_spec, image_classifier_spec, image_mlp_spec, spec_label
from .mlp import mlp, mlp_n_params, param_matched_mlps
from .registry import KINDS, build, relative_mismatch, spec_n_params
from .resnet import ResNet20, resnet20
from .runs import trained
from .sizing import count_params, log_widths, match_width

__all__ = [
    "build",
    "spec_n_params",
    "KINDS",
    "mlp",
    "mlp_n_params",
    "param_matched_mlps",
    "cnn",
    "cnn_spec",
    "IMAGE_SHAPES",
    "resnet20",
    "ResNet20",
    "count_params",
    "match_width",
    "log_widths",
    "relative_mismatch",
    "trained",
    "image_mlp_spec",
    "image_classifier_spec",
    "spec_label",
]
