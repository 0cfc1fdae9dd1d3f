#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Anonymizes every face of a video file, frame by frame: anonymize_video.py IN OUT [MODEL].

Without MODEL the faces are blurred (the face detector comes from the setup step); with a
model holding a generator they are regenerated. The output keeps the input's size, timing and
audio. A camera or VMS would pass its own decoded frames (numpy arrays) to session.anonymize.
"""
import sys

import parn


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    source, target = argv[1], argv[2]
    model = parn.Model.load(argv[3]) if len(argv) == 4 else None
    try:
        with parn.Session(model) as session, parn.VideoReader(source) as reader, \
                parn.VideoWriter(target, like=reader) as writer:
            frames = faces = 0
            for frame in reader:
                _, records = session.anonymize(frame, frame)  # in place; raises if it fails
                faces += len(records)
                writer.write(frame)
                frames += 1
    except parn.ParnError as e:  # the writer's file was abandoned: nothing unprotected is left
        print(f"{source}: {e}", file=sys.stderr)
        return 1
    finally:
        if model is not None:
            model.close()
    print(f"{target}: {frames} frames, {faces} face records")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
