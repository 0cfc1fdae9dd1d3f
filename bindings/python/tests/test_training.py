# SPDX-License-Identifier: MIT
"""Training: synthetic clips, datasets, and a tiny classifier trained, checkpointed, resumed,
evaluated and exported through the binding."""
import numpy as np
import pytest

import parn
from conftest import needs, noise

pytestmark = needs("parn_trainer_step", "parn_dataset_open", "parn_synthetic_clip")

TINY = {"c3d": {"frames": 16, "crop": 32, "fc": 16, "base": 4, "dropout": 0},
        "fem": {"channels": 4, "reduction": 2, "privacy_hidden": 4, "spatial_kernel": 3}}
TRAIN = {"clip_batch": 2, "augment": False, "c3d": {"optim": {"kind": "adam", "lr": 0.003}}}


def synthetic(clips=8, seed=5):
    return parn.Dataset("synthetic", seed=seed,
                        dataset_config={"classes": 3, "clips": clips, "width": 48, "height": 40})


def test_synthetic_actions_and_clips():
    actions = parn.synthetic_actions()
    assert len(actions) >= 5 and all(isinstance(a, str) and a for a in actions)
    frames, boxes = parn.synthetic_clip(actions[1], seed=7, width=64, height=48, n_frames=4)
    assert frames.shape == (4, 48, 64, 3) and frames.dtype == np.uint8
    assert boxes.shape == (4, 4) and (boxes[:, 2:] > 0).all()
    assert (boxes[:, 0] + boxes[:, 2] <= 64 + 1).all()
    again, same_boxes = parn.synthetic_clip(1, seed=7, width=64, height=48, n_frames=4)
    assert np.array_equal(frames, again) and np.array_equal(boxes, same_boxes)
    other, _ = parn.synthetic_clip(1, seed=8, width=64, height=48, n_frames=4)
    assert not np.array_equal(frames, other)
    with pytest.raises(parn.ParnError) as e:
        parn.synthetic_clip(len(actions), n_frames=2)
    assert e.value.status == parn.Status.E_INVALID_ARG


def test_datasets():
    with synthetic() as d:
        assert d.kind == "synthetic" and len(d) == 8
        assert d.num_classes == 3 and d.classes == parn.synthetic_actions()[:3]
    with pytest.raises(parn.ParnError) as e:
        parn.Dataset("teleports")
    assert e.value.status == parn.Status.E_INVALID_ARG and "teleports" in e.value.message
    with pytest.raises(parn.ParnError) as e:
        parn.Dataset("synthetic", dataset_config={"no_such_key": 1})
    assert "no_such_key" in e.value.message


def losses(log):
    return {k: v for k, v in log.items() if k != "seconds"}


def test_classifier_train_checkpoint_resume_export(tmp_path):
    checkpoint = tmp_path / "run.ckpt"
    with parn.Session(threads=2) as session, synthetic() as data:
        with parn.Trainer(session, "classifier", model_config=TINY, classes=3, seed=3,
                          train_config=TRAIN) as trainer:
            assert trainer.log == {} and trainer.step_count == 0
            with pytest.raises(parn.ParnError) as e:
                trainer.step()
            assert e.value.status == parn.Status.E_STATE and "dataset" in e.value.message
            trainer.set_data(data)
            with pytest.raises(parn.ParnError) as e:
                data.close()  # the trainer reads it
            assert e.value.status == parn.Status.E_STATE
            log = trainer.step(2)
            assert trainer.step_count == 2 and log["step"] == 2 and log["phase"] == "classifier"
            assert np.isfinite(log["losses"]["cls"])
            trainer.checkpoint(checkpoint)
            expected = losses(trainer.step())
            result = trainer.evaluate(data, max_items=4)
            assert result["items"] == 4 and 0 <= result["accuracy"] <= 1
            with trainer.export() as model:
                assert model.has_network("c3d") and model.num_classes == 3
                with parn.Session(model, threads=1) as s:
                    assert len(s.classify_clip([noise(40, 48, seed=i) for i in range(16)])) == 3
        # the same run, resumed from the checkpoint, takes the same step
        with synthetic() as same, parn.Trainer.resume(session, checkpoint) as resumed:
            assert resumed.step_count == 2
            resumed.set_data(same)
            assert losses(resumed.step()) == expected
        with parn.Model.load(checkpoint) as weights:  # a checkpoint is a model file too
            assert weights.has_network("fem")
        with pytest.raises(parn.ParnError) as e:
            parn.Trainer(session, "sculpting")
        assert e.value.status == parn.Status.E_INVALID_ARG
        assert e.value.message == parn._lib.last_error(session._as_parameter_)
        with pytest.raises(parn.ParnError) as e:
            parn.Trainer.resume(session, tmp_path / "missing.ckpt")
        assert e.value.status == parn.Status.E_IO


def test_trainer_keeps_its_session():
    session = parn.Session(threads=1)
    trainer = parn.Trainer(session, "classifier", model_config=TINY, classes=3)
    with pytest.raises(parn.ParnError) as e:
        session.close()
    assert e.value.status == parn.Status.E_STATE
    trainer.close()
    session.close()


def write_faces(root, people=3, each=2):
    """Folders of small drawn faces (binary PPM), one folder per person."""
    y, x = np.mgrid[0:56, 0:48]
    for p in range(people):
        (root / f"person{p}").mkdir(parents=True)
        for k in range(each):
            image = np.zeros((56, 48, 3), np.uint8)
            image[..., 0], image[..., 1], image[..., 2] = 40 + 30 * p + x, 60 + y, 90 + 20 * k
            image[((x - 24 - k) / 16) ** 2 + ((y - 28) / 21) ** 2 < 1] = (220, 170 + 10 * p, 140)
            image[(abs(y - 24) < 2) & ((abs(x - 18 - k) < 3) | (abs(x - 30 - k) < 3))] = 20 + 40 * p
            with open(root / f"person{p}" / f"{k}.ppm", "wb") as f:
                f.write(b"P6\n48 56\n255\n" + image.tobytes())


GAN = {"generator": {"size": 32, "base": 8, "depth": 2, "noise_dim": 8, "fusion_channels": 16,
                     "max_channels": 32},
       "discriminator": {"size": 32, "base": 8, "frames": 2, "temporal_base": 8}}


def test_gan_phase(tmp_path, face_model):
    write_faces(tmp_path / "faces")
    with parn.Session(threads=2) as session, \
            parn.Dataset("faces", tmp_path / "faces", dataset_config={"detect": False}) as faces, \
            synthetic() as clips, \
            parn.Trainer(session, "gan", model_config=GAN, seed=1,
                         train_config={"face_batch": 2, "d_every": 2}) as trainer:
        assert faces.kind == "faces" and len(faces) == 6 and faces.num_classes == 3
        with pytest.raises(parn.ParnError) as e:
            trainer.set_data(clips)  # the GAN trains on faces
        assert e.value.status == parn.Status.E_INVALID_ARG
        trainer.set_data(faces)
        log = trainer.step(2)
        assert log["phase"] == "gan" and trainer.step_count == 2
        assert all(np.isfinite(v) for v in log["losses"].values())
        result = trainer.evaluate(faces, max_items=2)
        assert 0 <= result["ssim"] <= 1
