"""Image explanation benchmark: a folder of images through a local model server.

Setting (issue 17): ``--images`` images (default 200) of 224×224, SLIC with 50
segments, ``num_samples`` coalitions per image (default 500, as the AWS image
classification example), a classifier served over HTTP on 127.0.0.1
(``tests/explain/image/server.py``: decodes the request, scores the mean
brightness of a region).  Prints the model calls (requests, images sent), wall
time, images per second and the process's peak resident memory, which must not
grow with the number of images (they are streamed).

    python benchmarks/image_bench.py                            # 200 images, image/jpeg
    python benchmarks/image_bench.py --content-type npy-batch   # (N, H, W, 3) batches
    python benchmarks/image_bench.py --images 20                # a quick look
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

import openclarify  # noqa: E402
from tests.explain.image.helpers import brightness, smooth  # noqa: E402
from tests.explain.image.server import image_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--segments", type=int, default=50)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument(
        "--content-type",
        choices=["image/jpeg", "image/png", "application/x-npy", "npy-batch"],
        default="image/jpeg",
    )
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "images"
        folder.mkdir()
        for i in range(args.images):
            Image.fromarray(smooth(args.size, args.size, seed=i)).save(folder / f"img{i:04d}.png")
        content_type = (
            "application/x-npy" if args.content_type == "npy-batch" else args.content_type
        )
        with image_server(brightness) as server:
            extension = {"endpoint_url": server.url, "max_concurrency": args.concurrency}
            if args.content_type == "npy-batch":
                extension["npy_batch"] = True
            config = {
                "dataset_type": "application/x-image",
                "predictor": {
                    "content_type": content_type,
                    "label_headers": ["dark", "bright"],
                    "openclarify": extension,
                },
                "methods": {
                    "shap": {
                        "num_samples": args.samples,
                        "seed": 0,
                        "image_config": {
                            "model_type": "IMAGE_CLASSIFICATION",
                            "num_segments": args.segments,
                        },
                    }
                },
            }
            started = time.perf_counter()
            result = openclarify.run(config, folder, Path(scratch) / "out")
            seconds = time.perf_counter() - started
        entries = result.to_dict()["explanations"]["kernel_shap_images"]
        segments = [e["segments"] for e in entries]
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"images                {len(entries)} of {args.size}x{args.size}")
        print(
            f"segments per image    {np.mean(segments):.1f} (min {min(segments)}, max {max(segments)})"
        )
        print(f"content type          {args.content_type}")
        print(f"model requests        {len(server.shapes)}")
        print(f"images sent           {sum(s[0] for s in server.shapes)}")
        print(f"wall time             {seconds:.1f} s ({len(entries) / seconds:.2f} images/s)")
        print(f"peak resident memory  {peak_mb:.0f} MB (whole process, server included)")


if __name__ == "__main__":
    main()
