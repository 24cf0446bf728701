"""ResNet-20, the CIFAR-10 variant of He et al. 2016 (Sec. 4.2), with switches for the skip/BN ablation.

    conv3x3(3->16) -> [BN] -> ReLU
    3 stages x 3 basic blocks, 16 / 32 / 64 channels, stride 2 at the first block of stages 2 and 3
    global average pool -> Linear(64 -> num_classes)

Basic block: conv3x3 -> [BN] -> ReLU -> conv3x3 -> [BN] -> (+ shortcut if skip) -> ReLU.
Shortcuts are **option A** (as in the paper's CIFAR experiments): the identity, and where the shape changes, the
input subsampled by 2 and zero-padded along channels, so shortcuts add no parameters: 269,722 parameters with BN,
269,034 without (convs get a zero-initialised bias when there is no BN, which then has nothing to add a shift).

Init: Kaiming-normal with mode="fan_in" for every conv (variance-preserving forward pass, so the plain no-BN,
no-skip net starts with O(1) activations and is trainable with a suitable learning rate); PyTorch's default for
the final Linear; BN weight 1, bias 0. Without BN but with skips, each block adds its branch's variance to the
stream, so activations grow ~2x in variance per block (the ablation's point: this net needs a small learning rate).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int, skip: bool, batchnorm: bool):
        super().__init__()
        self.skip = skip
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=not batchnorm)
        self.bn1 = nn.BatchNorm2d(c_out) if batchnorm else nn.Identity()
        self.conv2 = nn.Conv2d(c_out, c_out, 3, stride=1, padding=1, bias=not batchnorm)
        self.bn2 = nn.BatchNorm2d(c_out) if batchnorm else nn.Identity()
        self.stride, self.pad = stride, c_out - c_in

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        """Option A: identity, or stride-2 subsampling plus zero channels split evenly on both sides."""
        if self.stride != 1:
            x = x[:, :, :: self.stride, :: self.stride]
        if self.pad:
            x = F.pad(x, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.skip:
            out = out + self.shortcut(x)
        return F.relu(out)


class ResNet20(nn.Module):
    def __init__(
        self,
        skip: bool = True,
        batchnorm: bool = True,
        num_classes: int = 10,
        widths: tuple[int, int, int] = (16, 32, 64),
        blocks_per_stage: int = 3,
    ):
        super().__init__()
        self.skip, self.batchnorm = skip, batchnorm
        self.conv1 = nn.Conv2d(3, widths[0], 3, padding=1, bias=not batchnorm)
        self.bn1 = nn.BatchNorm2d(widths[0]) if batchnorm else nn.Identity()
        stages, c = [], widths[0]
        for i, w in enumerate(widths):
            blocks = [
                BasicBlock(c if j == 0 else w, w, 2 if (i > 0 and j == 0) else 1, skip, batchnorm)
                for j in range(blocks_per_stage)
            ]
            stages.append(nn.Sequential(*blocks))
            c = w
        self.stage1, self.stage2, self.stage3 = stages
        self.fc = nn.Linear(c, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.stage3(self.stage2(self.stage1(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def resnet20(skip: bool = True, batchnorm: bool = True, num_classes: int = 10) -> nn.Module:
    """ResNet-20 for 3x32x32 inputs (option-A shortcuts, Kaiming fan-in init); logits of shape (N, num_classes).

    skip=False removes the residual additions (a plain 20-layer CNN with the same weights' shapes);
    batchnorm=False removes every BN layer (convs then carry a bias)."""
    return ResNet20(skip=skip, batchnorm=batchnorm, num_classes=num_classes)
