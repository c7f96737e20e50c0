# SPDX-License-Identifier: Apache-2.0
"""The README's Python example runs as written."""

import re

from conftest import SOURCE_DIR


def test_readme_python_example_runs(tmp_path, monkeypatch):
    text = (SOURCE_DIR / "README.md").read_text()
    section = text[text.index("## Python — `import dashicore`"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102
    assert namespace["converged"] and namespace["steps"] == 6
    assert (tmp_path / "fixed.pqfs").exists()
