"""The package works once installed, outside the checkout: the wheel carries the default
configuration and the sample digests (``importlib.resources``), and ``digestbot today``
answers from a fresh virtual environment in another folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv outside the checkout with the built wheel installed (its dependencies
    come from the test environment's site-packages through a .pth file: no download)."""
    base = tmp_path_factory.mktemp("installed")
    wheels = base / "wheels"
    # built from a copy of the sources: other tests' processes write bytecode into the
    # checkout while setuptools copies it, and the build writes build/ beside it
    source = base / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "digestbot", source / "digestbot", ignore=shutil.ignore_patterns("__pycache__")
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(wheels), str(source)],
        check=True,
        cwd=base,
    )  # fmt: skip
    [wheel] = wheels.glob("digestbot-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # a path listed in a .pth is added as it is: the test environment's own .pth files
    # (the editable install of this checkout) are not read
    Path(purelib, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
         str(wheel)],
        check=True,
    )  # fmt: skip
    return venv


def _run(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIGESTBOT_", "PYTHON"))}
    env["DIGESTBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{cwd / 'bot.db'}"
    return subprocess.run(
        [str(venv / "bin" / "digestbot"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_installed_package_carries_its_data(installed: Path, tmp_path: Path) -> None:
    found = subprocess.run(
        [str(installed / "bin" / "python"), "-c",
         "import digestbot, digestbot.packaged as p; "
         "print(digestbot.__file__); print(p.default_config_file()); print(p.sample_digests())"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()  # fmt: skip
    module, config, samples = (Path(line) for line in found)
    assert installed in module.parents and ROOT not in module.parents
    assert config.is_file() and "DIGESTBOT_<KEY" in config.read_text()
    assert len(sorted(samples.glob("*/*/*.md"))) == 9
    assert (samples / "README.md").is_file()  # the samples' licence and attribution


def test_digestbot_today_answers_from_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    first = _run(installed, tmp_path, "run")  # no token: stores the samples, shows /today
    assert first.returncode == 0, first.stderr
    assert "stored 9 bundled sample digests" in first.stdout
    today = _run(installed, tmp_path, "today", "--lang", "en")
    assert today.returncode == 0, today.stderr
    # the newest sample is the last day the archive published
    assert "2025-05-09" in today.stdout
    assert "Perception, Reason, Think, and Plan" in today.stdout
