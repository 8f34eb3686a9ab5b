#!/usr/bin/python3
"""The pandas baseline for `gantry ingest`: pandas_ingest.py CSV OUT.h5

read_csv of a long historian export (timestamp,tag,value,quality), pivot to
wide (timestamps x tags) for the values and for the quality, write both and
the time axis with h5py.  Prints JSON {"rows": .., "seconds": ..}."""
import json
import sys
import time

import h5py
import numpy as np
import pandas as pd


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: pandas_ingest.py CSV OUT.h5")
    src, dst = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    df = pd.read_csv(src)
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True, format="ISO8601") \
        if pd.__version__ >= "2" else pd.to_datetime(df["timestamp"], utc=True)
    qmap = {"Good": 0, "Uncertain": 1, "Bad": 3, "I/O Timeout": 3}
    df["q"] = df["quality"].map(qmap).fillna(3).astype(np.uint8)
    values = df.pivot(index="timestamp", columns="tag", values="value")
    quality = df.pivot(index="timestamp", columns="tag", values="q")
    quality = quality.reindex_like(values).fillna(4).astype(np.uint8)
    with h5py.File(dst, "w") as f:
        g = f.create_group("recordings/historian")
        g.create_dataset("time", data=values.index.asi8.astype(np.int64))
        for tag in values.columns:
            g.create_dataset(f"signals/{tag}", data=values[tag].to_numpy(np.float32))
            g.create_dataset(f"quality/{tag}", data=quality[tag].to_numpy())
    dt = time.perf_counter() - t0
    print(json.dumps({"rows": len(df), "table_rows": len(values), "seconds": round(dt, 4)}))


if __name__ == "__main__":
    main()
