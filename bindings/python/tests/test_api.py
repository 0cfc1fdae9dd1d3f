# SPDX-License-Identifier: MIT
"""Versions, statuses, errors, options, the log, and that every C function is bound."""
import re

import pytest

import parn
from parn import _lib


def declarations(header):
    """{name: number of parameters} of every PARN_API function in the header."""
    found = {}
    for name, params in re.findall(r"PARN_API\s[^;(]*?\b(parn_\w+)\s*\(([^)]*)\)", header):
        params = params.strip()
        found[name] = 0 if params in ("", "void") else params.count(",") + 1
    return found


def test_every_function_is_in_the_table(header):
    declared = declarations(header)
    assert declared, "no declarations parsed"
    assert sorted(set(declared) - set(_lib.SIGNATURES)) == []
    assert sorted(set(_lib.SIGNATURES) - set(declared)) == []
    for name, count in declared.items():
        assert len(_lib.SIGNATURES[name][1]) == count, name


def test_every_function_is_exported():
    parn.version()
    assert _lib.lib.missing == [], "run this binding against a libparn with the whole API"


def test_version_matches_header(header):
    string = re.search(r'#define PARN_VERSION_STRING "([^"]+)"', header).group(1)
    assert parn.version() == string
    major, minor, patch = map(int, string.split("."))
    assert parn.version_number() == major * 10000 + minor * 100 + patch
    assert "cpu" in parn.build_info()


def test_statuses_match_header(header):
    for name, value in re.findall(r"PARN_((?:E_)?[A-Z_]+) = (\d+),?\s*/\*\*<", header):
        if name.startswith(("LOG_", "OPT_", "PIX_")):
            continue
        assert parn.Status[name] == int(value), name
    assert parn.status_string(parn.Status.E_IO) == "input/output error"


def test_init_check():
    parn.init_check()
    with pytest.raises(parn.ParnError) as e:
        parn.init_check(_lib.ABI_VERSION + 1)
    assert e.value.status == parn.Status.E_ABI
    assert e.value.message


def test_error_carries_status_and_message(tmp_path):
    missing = tmp_path / "missing.safetensors"
    with pytest.raises(parn.ParnError) as e:
        parn.Model.load(missing)
    assert e.value.status == parn.Status.E_IO
    assert str(missing) in e.value.message
    assert parn.last_error() == e.value.message


def test_options_come_from_the_library(header):
    table = parn.options()
    keys = re.findall(r"PARN_OPT_([A-Z_]+) = (\d+)", header)
    names = {int(v): n.lower() for n, v in keys if not n.startswith("TYPE_")}
    assert {info.key: name for name, info in table.items()} == names
    info = parn.option_info("threads")
    assert info.type is int and info.min == 0 and info.max == 1024
    assert parn.option_info(info.key) == info


def test_options_set_and_get():
    with parn.Options(threads=3, detector_threshold=0.7, device="cpu",
                      model_config={"c3d": {"variant": 8}}, networks=["fem", "c3d"]) as opts:
        assert opts.get("threads") == 3
        assert opts.get("detector_threshold") == pytest.approx(0.7)
        assert opts.get("device") == "cpu"
        assert opts.get("model_config") == '{"c3d": {"variant": 8}}'
        assert opts.get("networks") == "fem,c3d"
        assert opts.get("max_faces") == 100  # the default


@pytest.mark.parametrize("values, words", [
    ({"threads": 5000}, "threads"),
    ({"threads": "two"}, "int"),
    ({"no_such_option": 1}, "unknown option"),
    ({"detector_threshold": 2.0}, "detector_threshold"),
])
def test_bad_options_raise(values, words):
    with pytest.raises(parn.ParnError) as e:
        parn.Options(**values)
    assert e.value.status == parn.Status.E_INVALID_ARG
    assert words in e.value.message


def test_log_callback():
    messages = []
    parn.set_log_callback(lambda level, message: messages.append((level, message)))
    try:
        with pytest.raises(parn.ParnError):
            parn.Model.load("/nonexistent/model.safetensors")
    finally:
        parn.set_log_callback(None)
    assert any("/nonexistent/model.safetensors" in m for _, m in messages)
    assert all(level in ("error", "warn", "info", "debug") for level, _ in messages)
    count = len(messages)
    with pytest.raises(parn.ParnError):
        parn.Model.load("/nonexistent/model.safetensors")
    assert len(messages) == count


def test_devices():
    assert parn.device_count("cpu") == 1
    assert parn.device_count("cuda") >= 0
    with pytest.raises(parn.ParnError) as e:
        parn.device_count("tpu")
    assert e.value.status == parn.Status.E_INVALID_ARG
