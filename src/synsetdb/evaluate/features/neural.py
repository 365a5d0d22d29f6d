"""Features from any PyTorch module the user has locally (torch imported when first used)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from ...errors import EvaluationError
from ._extras import require
from .base import FloatArray, rgb

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "TorchEmbedder"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
_MEAN: FloatArray = np.asarray(IMAGENET_MEAN, dtype=np.float32)
_STD: FloatArray = np.asarray(IMAGENET_STD, dtype=np.float32)


class TorchEmbedder:
    """The outputs of a torch module as features (flattened to one row per image).

    By default each image is centre-cropped to a square, resized to
    ``side``×``side`` and normalised with ImageNet's mean and deviation;
    ``transform`` replaces that (an image to a ``C×H×W`` float tensor, as
    torchvision transforms give). The module runs in eval mode without
    gradients, in batches, on ``device``; its training flag is restored.

    Example:
        >>> backbone = torchvision.models.resnet18(weights=...)  # doctest: +SKIP
        >>> backbone.fc = torch.nn.Identity()  # doctest: +SKIP
        >>> TorchEmbedder(backbone).embed(images).shape  # doctest: +SKIP
        (len(images), 512)
    """

    def __init__(
        self,
        module: Any,
        *,
        side: int = 224,
        transform: Callable[[Image.Image], Any] | None = None,
        batch_size: int = 64,
        device: str = "cpu",
    ) -> None:
        if side < 1 or batch_size < 1:
            raise EvaluationError("side and batch_size must be >= 1", code="E_OPTIONS")
        self.module, self.side, self.transform = module, side, transform
        self.batch_size, self.device = batch_size, device

    def embed(self, images: Sequence[Image.Image]) -> FloatArray:
        """One row per image: the module's output for it, flattened."""
        torch = require("torch", "torch", "TorchEmbedder")
        if not images:
            raise EvaluationError("no images to embed", code="E_OPTIONS")
        training = bool(getattr(self.module, "training", False))
        self.module.eval()
        try:
            with torch.inference_mode():
                rows = [
                    self._batch(torch, images[i : i + self.batch_size])
                    for i in range(0, len(images), self.batch_size)
                ]
        finally:
            self.module.train(training)
        return np.concatenate(rows)

    def _batch(self, torch: Any, images: Sequence[Image.Image]) -> FloatArray:
        tensors = [self._tensor(torch, image) for image in images]
        out = self.module(torch.stack(tensors).to(self.device))
        rows: FloatArray = out.reshape(len(images), -1).float().cpu().numpy()
        return rows

    def _tensor(self, torch: Any, image: Image.Image) -> Any:
        if self.transform is not None:
            return self.transform(image)
        square = ImageOps.fit(rgb(image), (self.side, self.side), Image.Resampling.BILINEAR)
        pixels: FloatArray = np.asarray(square, dtype=np.float32) / np.float32(255.0)
        pixels = (pixels - _MEAN) / _STD
        return torch.from_numpy(np.ascontiguousarray(pixels.transpose(2, 0, 1)))
