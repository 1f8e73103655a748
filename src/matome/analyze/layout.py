"""The opinion map: 2-D positions of comment vectors (PCA by default, UMAP optional).

``layout(x)`` takes L2-normalized rows and returns ``(x, y)`` pairs scaled to [-1, 1]: the first
two principal components (exact SVD of the centred rows, the sign of each component fixed so
that its largest loading is positive), or a seeded UMAP (umap-learn, cosine) when asked.
"""

from __future__ import annotations

import numpy as np

LAYOUTS = ("pca", "umap")


def layout(x: np.ndarray, layout: str, seed: int) -> list[tuple[float, float]]:
    m = x.shape[0]
    if m == 0:
        return []
    if m < 3:
        return [(0.0, 0.0)] * m if m == 1 else [(-1.0, 0.0), (1.0, 0.0)]
    if layout == "umap" and m >= 10:
        import umap

        pts = umap.UMAP(
            n_components=2, n_neighbors=min(15, m - 1), metric="cosine", random_state=seed
        ).fit_transform(x)
    else:
        centred = x - x.mean(axis=0)
        u, s, vt = np.linalg.svd(centred, full_matrices=False)
        pts = u[:, :2] * s[:2]
        if pts.shape[1] < 2:
            pts = np.hstack([pts, np.zeros((m, 2 - pts.shape[1]))])
        # fix the sign: the largest loading of each component is positive
        for c in range(min(2, vt.shape[0])):
            if vt[c, np.argmax(np.abs(vt[c]))] < 0:
                pts[:, c] = -pts[:, c]
    pts = np.asarray(pts, dtype=np.float64)
    span = np.abs(pts).max(axis=0)
    span[span == 0] = 1.0
    pts = pts / span
    return [(round(float(a), 4) + 0.0, round(float(b), 4) + 0.0) for a, b in pts]
