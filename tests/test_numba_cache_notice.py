"""The first run of a source says that it is compiling, once; a warm cache says nothing."""

from __future__ import annotations

import numba

from intags_env import _numba_cache


def test_an_empty_cache_gets_the_compile_notice_and_a_warm_one_none(tmp_path) -> None:
    notice = _numba_cache.first_compile_notice(tmp_path)
    assert notice is not None and "compiling the Numba kernels" in notice and str(tmp_path) in notice
    elsewhere = tmp_path / "world_of_another_checkout" / "loop.run_until-269.py311.nbi"
    elsewhere.parent.mkdir(parents=True)
    elsewhere.write_bytes(b"")  # another checkout's kernels: this one still compiles
    assert _numba_cache.first_compile_notice(tmp_path) is not None
    index = _numba_cache.world_cache_path(tmp_path) / "loop.run_until-269.py311.nbi"
    index.parent.mkdir(parents=True)
    index.write_bytes(b"")
    assert _numba_cache.first_compile_notice(tmp_path) is None


def test_configure_prints_the_notice_for_a_new_source_only(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(numba.config, "CACHE_DIR", numba.config.CACHE_DIR)  # restored afterwards
    target = _numba_cache.configure_numba_cache()
    assert target is not None and target.parent == tmp_path / "intags_env" / "numba"
    assert "compiling the Numba kernels" in capsys.readouterr().err
    _numba_cache.world_cache_path(target).mkdir(parents=True)
    (_numba_cache.world_cache_path(target) / "loop.run_until-269.py311.nbi").write_bytes(b"")
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    _numba_cache.configure_numba_cache()
    assert capsys.readouterr().err == ""


def test_a_user_numba_cache_dir_is_left_alone_and_silent(monkeypatch, capsys) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/somewhere/of/the/users")
    assert _numba_cache.configure_numba_cache() is None
    assert capsys.readouterr().err == ""
