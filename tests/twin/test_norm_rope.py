"""ascendc/common/norm.h (RMSNorm, LayerNorm) and rope.h (interleaved and half-split RoPE) on the twin,
against numpy in float64 (the norms: fp32 reductions in another order, a few ulps) and float32 (RoPE: the
same products and sums as the golden's order, bit-exact)."""
import subprocess

import numpy as np
import pytest

SRC = "tests/twin/cpp/prolog_vec/norm_rope.cpp"


@pytest.fixture(scope="module")
def out(twin, tmp_path_factory):
    exe = twin.build(SRC, extra_flags=("-I", "ascendc"))
    d = tmp_path_factory.mktemp("norm_rope")
    rng = np.random.default_rng(7)
    inputs = {
        "rms_x": rng.standard_normal((3, 1536)) * np.array([[1.0], [40.0], [1e-3]]),
        "rms_g": rng.uniform(0.5, 1.5, 1536),
        "rms_kv": rng.standard_normal((3, 640)) * 3.0,
        "rms_g512": rng.uniform(-1.5, 1.5, 512),
        "ln_x": np.concatenate([rng.standard_normal((3, 128)) * 5.0 + 2.0, np.full((1, 128), 0.75)]),
        "ln_g": rng.uniform(0.5, 1.5, 128),
        "ln_b": rng.uniform(-0.5, 0.5, 128),
        "rope_q": rng.standard_normal((40, 192)),
        "cos": np.cos(np.arange(64) * 0.37),
        "sin": np.sin(np.arange(64) * 0.37),
        "rope_k": rng.standard_normal((7, 128)),
        "rope_t": rng.standard_normal((6, 64)),
        "cos6": np.cos(np.arange(6)[:, None] * 0.9 + np.arange(64) * 0.11),
        "sin6": np.sin(np.arange(6)[:, None] * 0.9 + np.arange(64) * 0.11),
    }
    inputs = {k: v.astype(np.float32) for k, v in inputs.items()}
    for k, v in inputs.items():
        v.tofile(d / f"{k}.bin")
    res = subprocess.run([str(exe), str(d)], capture_output=True, text=True, env=twin.env())
    assert res.returncode == 0, res.stdout + res.stderr
    return inputs, lambda name: np.fromfile(d / f"{name}.bin", dtype=np.float32)


def _rms(x, g, eps):
    x = x.astype(np.float64)
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * g


def test_rms_norm(out):
    inp, res = out
    want = _rms(inp["rms_x"], inp["rms_g"], 1e-5)
    np.testing.assert_allclose(res("rms_1536").reshape(3, 1536), want, rtol=4e-6, atol=1e-30)
    got = res("rms_512").reshape(3, 640)
    np.testing.assert_allclose(got[:, :512], _rms(inp["rms_kv"][:, :512], inp["rms_g512"], 1e-5), rtol=4e-6)
    np.testing.assert_array_equal(got[:, 512:], inp["rms_kv"][:, 512:])  # past d: untouched


def test_layer_norm(out):
    inp, res = out
    x = inp["ln_x"].astype(np.float64)
    c = x - x.mean(-1, keepdims=True)
    want = c / np.sqrt((c * c).mean(-1, keepdims=True) + 1e-6) * inp["ln_g"] + inp["ln_b"]
    got = res("ln").reshape(4, 128)
    np.testing.assert_allclose(got[:3], want[:3], rtol=1e-5, atol=2e-6)
    np.testing.assert_array_equal(got[3], inp["ln_b"])  # a constant row: centred to 0, output beta


def _rotate(v, cos, sin):
    half = v.shape[-1] // 2
    rot = np.concatenate([-v[..., half:], v[..., :half]], axis=-1)
    return v * cos + rot * sin


def test_rope_interleaved(out):
    inp, res = out
    pe = inp["rope_q"][:, 128:]
    deint = np.concatenate([pe[:, 0::2], pe[:, 1::2]], axis=-1)
    want = _rotate(deint, inp["cos"], inp["sin"])  # float32, the golden's order
    np.testing.assert_array_equal(res("rope_inter").reshape(40, 64), want)


def test_rope_half_first_dims(out):
    inp, res = out
    k = inp["rope_k"]
    got = res("rope_half").reshape(7, 128)
    np.testing.assert_array_equal(got[:, :64], _rotate(k[:, :64], inp["cos"], inp["sin"]))
    np.testing.assert_array_equal(got[:, 64:], k[:, 64:])


def test_rope_interleaved_cos_per_row(out):
    inp, res = out
    pe = inp["rope_t"]
    deint = np.concatenate([pe[:, 0::2], pe[:, 1::2]], axis=-1)
    want = _rotate(deint, inp["cos6"], inp["sin6"])
    np.testing.assert_array_equal(res("rope_rows").reshape(6, 64), want)
