"""The Numba cache directory follows the source of everything the kernels compile in."""

from __future__ import annotations

from intags_env import _numba_cache


def _tree(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_hash_follows_kernel_sources_and_ignores_the_rest(tmp_path, monkeypatch):
    _tree(
        tmp_path,
        {
            "world/agents.py": "def act(): return 1\n",
            "world/layout.py": "N_AF = 14\n",
            "generator/background.py": "from numba import njit\n",
            "cli.py": "print('hi')\n",
        },
    )
    monkeypatch.setattr(_numba_cache, "_PACKAGE", tmp_path)
    before = _numba_cache.kernel_source_hash()
    (tmp_path / "cli.py").write_text("print('changed docs')\n")  # no kernel reads it
    assert _numba_cache.kernel_source_hash() == before
    for name, text in {
        "world/layout.py": "N_AF = 15\n",  # a constant compiled into the event loop
        "world/agents.py": "def act(): return 2\n",  # a function the event loop calls
        "generator/background.py": "from numba import njit\n# edited\n",  # a module with a kernel
    }.items():
        (tmp_path / name).write_text(text)
        after = _numba_cache.kernel_source_hash()
        assert after != before, name
        before = after


def test_the_users_cache_dir_wins_and_ours_is_named_by_the_hash(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert _numba_cache.configure_numba_cache() is None
    monkeypatch.setenv("NUMBA_CACHE_DIR", "")  # unset for configure; monkeypatch restores the original
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    import numba

    monkeypatch.setattr(numba.config, "CACHE_DIR", numba.config.CACHE_DIR)  # restored after the test
    target = _numba_cache.configure_numba_cache()
    assert target == tmp_path / "cache" / "intags_env" / "numba" / _numba_cache.kernel_source_hash()
    assert target.is_dir() and numba.config.CACHE_DIR == str(target)
