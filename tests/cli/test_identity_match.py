"""``crosswire identity match``: CSV files in, ``left_id,right_id,score`` out, through the
command's entry function (and once as a real process); every kind of bad input gets one
clear line and exit code 2."""

from __future__ import annotations

import contextlib
import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

PEOPLE_A = """\
id,given_name,surname,date_of_birth,address,postcode,soc_sec_id
a1,Robert,Smith,19520314,12 Main Street Springfield,4223,5304218
a2,Maria,Garcia,19800101,9 Elm Road Shelbyville,4560,4066625
a3,Chen,Wei,19751230,4 Ocean Drive Capital City,2000,7364009
a4,Sarah,O'Neil,19910707,77 Harbour Lane Ogdenville,3130,1188220
"""
PEOPLE_B = """\
ref,first_name,last_name,dob,street,zip,ssn
b1,Bob,Smith,19520314,12 Main St Springfield,4223,5304218
b2,Maria,Garcia,19800101,9 Elm Rd Shelbyville,4560,4066652
b3,Wei,Chen,19751230,4 Ocean Drive Capital City,2000,7364009
b9,Tom,Baker,19600505,1 Nowhere Road North Haverbrook,9999,9990001
"""


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["identity", "match", *args])
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def links(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_two_files_are_linked_across_nicknames_typos_and_swapped_names(tmp_path: Path) -> None:
    a, b = write(tmp_path / "a.csv", PEOPLE_A), write(tmp_path / "b.csv", PEOPLE_B)
    out = tmp_path / "links.csv"
    code, printed, err = run(str(a), str(b), "--out", str(out))
    assert (code, err) == (0, "")
    rows = links(out)
    assert rows[0] == ["left_id", "right_id", "score"]
    assert [r[:2] for r in rows[1:]] == [["a1", "b1"], ["a2", "b2"], ["a3", "b3"]]
    assert all(0.9 <= float(r[2]) <= 1.0 for r in rows[1:])
    assert "Read 4 from a.csv and 4 from b.csv (people)." in printed
    assert "b.csv ref" not in printed  # the id column is no field
    assert "b.csv first_name, last_name, dob (date_of_birth), street (address)" in printed
    assert "3 links written to" in printed and "maybe band" in printed


def test_one_file_is_deduplicated_with_fields_and_id_named(tmp_path: Path) -> None:
    text = (
        "fname,lname,born,num,where\n"
        "Robert,Smith,1952-03-14,x1,12 Main Street Springfield 4223\n"
        "Maria,Garcia,1980-01-01,x2,9 Elm Road Shelbyville 4560\n"
        "Bob,Smith,1952-03-14,x3,12 Main St Springfield 4223\n"
        "Chen,Wei,1975-12-30,x4,4 Ocean Drive Capital City 2000\n"
        "Tom,Baker,1960-05-05,x5,1 Nowhere Road North Haverbrook 9999\n"
    )
    path, out = write(tmp_path / "crm.csv", text), tmp_path / "dups.csv"
    fields = "fname=first_name,lname=last_name,born=date_of_birth,where=address"
    code, printed, _ = run(str(path), "--out", str(out), "--id", "num", "--fields", fields)
    assert code == 0
    assert links(out)[1:] == [["x1", "x3", links(out)[1][2]]]
    assert "Read 5 from crm.csv" in printed


def test_columns_without_a_field_type_are_left_out_and_named(tmp_path: Path) -> None:
    text = PEOPLE_A.replace("soc_sec_id", "favourite_colour")
    code, printed, _ = run(str(write(tmp_path / "a.csv", text)), "--out", str(tmp_path / "o"))
    assert code == 0
    assert "Left out (no field type; name them with --fields): favourite_colour." in printed


def test_columns_left_out_as_asked_are_not_named_again(tmp_path: Path) -> None:
    text = "ref,business_name,zip,true_id\n1,Acme Corp.,60601,a\n2,ACME Corporation,60601,a\n"
    path = write(tmp_path / "a.csv", text)
    out = tmp_path / "o"
    code, printed, _ = run(str(path), "--fields", "true_id=ignore", "--out", str(out))
    assert code == 0
    assert "a.csv business_name (company), zip (postcode)." in printed
    assert "Left out" not in printed


def test_companies_link_by_name_and_domain(tmp_path: Path) -> None:
    a = write(
        tmp_path / "a.csv", "id,company,domain\n1,Acme Corporation,acme.io\n2,Globex,globex.com\n"
    )
    b = write(tmp_path / "b.csv", "id,organisation,website\n7,ACME Corp.,https://www.acme.io\n")
    out = tmp_path / "links.csv"
    code, printed, _ = run(str(a), str(b), "--out", str(out))
    assert code == 0
    assert [r[:2] for r in links(out)[1:]] == [["1", "7"]]
    assert "(companies)" in printed
    assert "b.csv organisation (company), website (domain)" in printed


def test_as_a_real_process(tmp_path: Path) -> None:
    a, b = write(tmp_path / "a.csv", PEOPLE_A), write(tmp_path / "b.csv", PEOPLE_B)
    out = tmp_path / "links.csv"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "identity", "match", str(a), str(b), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(links(out)) == 4
    missing = subprocess.run(
        [sys.executable, "-m", "bot", "identity", "match", str(tmp_path / "no.csv"), "--out",
         str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        f"crosswire: identity match: {tmp_path / 'no.csv'}: no such file"
    ]


def _bad(tmp_path: Path, name: str) -> list[str]:
    a = write(tmp_path / "a.csv", PEOPLE_A)
    cases = {
        "missing": [str(tmp_path / "nope.csv")],
        "empty": [str(write(tmp_path / "e.csv", ""))],
        "header only": [str(write(tmp_path / "h.csv", "id,given_name,surname\n"))],
        "no header": [str(write(tmp_path / "n.csv", "1,robert,smith\n2,maria,garcia\n"))],
        "non-utf8": [str(tmp_path / "latin1.csv")],
        "unknown column": [str(a), "--fields", "colour=first_name"],
        "unknown type": [str(a), "--fields", "surname=shoe_size"],
        "bad fields": [str(a), "--fields", "surname"],
        "unknown id": [str(a), "--id", "ref"],
        "duplicate id": [str(write(tmp_path / "d.csv", "id,surname\n1,smith\n1,jones\n"))],
        "three files": [str(a), str(a), str(a)],
        "a directory": [str(tmp_path)],
    }
    (tmp_path / "latin1.csv").write_bytes("id,surname\n1,Müller\n".encode("latin-1"))
    return cases[name]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "nope.csv: no such file"),
        ("empty", "e.csv is empty"),
        ("header only", "h.csv has a header but no records"),
        ("no header", "no column names a field type (first row: 1, robert, smith); if it has "
         "no header, add one, or name the columns with --fields"),
        ("non-utf8", "latin1.csv is not UTF-8 text (byte 0xfc at offset 14); save it as UTF-8"),
        ("unknown column", "--fields names a column that a.csv does not have: 'colour'"),
        ("unknown type", "unknown field type 'shoe_size' for 'surname'; types: first_name,"),
        ("bad fields", "--fields wants COLUMN=TYPE pairs separated by commas, not 'surname'"),
        ("unknown id", "a.csv has no column 'ref' for --id"),
        ("duplicate id", "d.csv: the id '1' is on line 2 and 3"),
        ("three files", "give one file to deduplicate or two to link, not more"),
        ("a directory", "is a directory, not a CSV file"),
    ],
)  # fmt: skip
def test_bad_input_gets_one_clear_line_and_exit_code_2(
    tmp_path: Path, case: str, message: str
) -> None:
    out = tmp_path / "links.csv"
    code, printed, err = run(*_bad(tmp_path, case), "--out", str(out))
    assert code == 2
    assert printed == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("crosswire: identity match: ")
    assert message in err
    assert "Traceback" not in err
    assert not out.exists()


def test_an_unwritable_output_is_refused(tmp_path: Path) -> None:
    a = write(tmp_path / "a.csv", PEOPLE_A)
    code, _, err = run(str(a), "--out", str(tmp_path / "no" / "such" / "dir.csv"))
    assert code == 2
    assert err.startswith("crosswire: identity match: cannot write ")


def test_the_readme_example_works_as_written(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Checking an import\n") :]
    script, printed = section.split("```sh\n", 1)[1].split("```\n", 1)[0], section
    expected = printed.split("prints\n\n```\n", 1)[1].split("```", 1)[0].splitlines()
    crosswire = f"{sys.executable} -m bot"
    script = script.replace("/tmp/", f"{tmp_path}/").replace(".venv/bin/crosswire", crosswire)
    done = subprocess.run(
        ["bash", "-e", "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.replace(f"{tmp_path}/", "/tmp/").splitlines()
    assert lines[:2] == expected[:2]
    assert lines[2].rsplit(" ", 2)[0] == expected[2].rsplit(" ", 2)[0]  # all but the time
    assert [r[:2] for r in links(tmp_path / "links.csv")[1:]] == [
        ["c1", "n1"],
        ["c2", "n2"],
        ["c3", "n3"],
    ]
