"""Seven FER2013 emotions from an aligned grey face crop (mini-Xception, from the fer package)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from booth.vision.crop import RotatedRect, crop
from booth.vision.runtime import Model

INPUT_SIZE = 64
NAMES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


class EmotionModel:
    def __init__(self, model: Model) -> None:
        if model.input_shape != (1, INPUT_SIZE, INPUT_SIZE, 1):
            raise ValueError(f"{model.path}: not the mini-Xception emotion model")
        self.model = model

    def run(self, image: Image.Image, face: RotatedRect) -> np.ndarray:
        """Softmax over :data:`NAMES` for the face in ``face`` (eye-level, about forehead to chin)."""
        patch, _ = crop(image, face, INPUT_SIZE)
        grey = np.asarray(patch.convert("L"))
        np.multiply(grey, np.float32(2 / 255), out=self.model.input[0, :, :, 0])
        self.model.input[0] -= 1.0
        return self.model.run()[0].reshape(-1)
