"""The audit pages and their JSON: findings by check, filters, label issues, reviews and roles,
and the findings shown on the tree, synset and image pages."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from synsetdb.audit import AuditConfig, Finding, run_audit
from synsetdb.audit.store import list_findings, save_findings
from synsetdb.catalog import Project
from tests.web._audit_data import LABEL_ISSUES, Seeded, seed
from tests.web._pages import csrf_of
from tests.web.conftest import explorer_client
from tests.web.explorer_data import ANIMAL, DOG, TIGER_CAT, Built, build
from tests.web.test_explore_queries import statements


@pytest.fixture
def audited(explorer: tuple[Project, Built]) -> Iterator[tuple[Project, Built, Seeded]]:
    project, built = explorer
    yield project, built, seed(project, built)


def _review(
    client: TestClient, fingerprint: str, status: str, reason: str = "", page: str = "/audit"
) -> object:
    token = csrf_of(client.get(page).text)
    return client.post(
        "/audit/review",
        data={
            "csrf": token,
            "fingerprint": fingerprint,
            "status": status,
            "reason": reason,
            "back": page,
        },
        follow_redirects=False,
    )


def _finding_html(page: str, fingerprint: str) -> str:
    found = re.search(rf'<li class="[^"]*" id="f-{fingerprint[:12]}".*?</li>', page, re.S)
    assert found, f"no finding {fingerprint[:12]} on the page"
    return found.group(0)


# ----------------------------------------------------------------------------- the audit page


def test_the_audit_page_lists_checks_with_counts_and_findings_worst_first(
    audited: tuple[Project, Built, Seeded],
) -> None:
    project, _built, seeded = audited
    client = explorer_client(project, who="lab")
    page = client.get("/audit").text
    assert "Audit of the catalog" in page
    row = re.search(r"<tr>\s*<td><a href=\"/audit/code/LIC001\">.*?</tr>", page, re.S)
    assert row and "unknown-provenance" in row.group(0)
    assert [int(n) for n in re.findall(r'<td class="num">(?:<a [^>]*>)?(\d+)', row.group(0))] == [
        1,
        1,
        0,
    ]
    assert "skipped: no licence policy" in page  # LIC002 without a policy
    order = list(re.findall(r'id="f-([0-9a-f]{12})"', page))
    assert order[0] in {f[:12] for f in [*seeded.labels, seeded.synset, seeded.licence]}
    assert seeded.labels[0][:12] in order and seeded.licence[:12] in order
    # the release's scope has its own findings: the leaking pair, with both thumbnails
    release = client.get("/audit?scope=r1").text
    pair = _finding_html(release, seeded.pair)
    assert pair.count('src="/thumb/') == 2
    listed = release[release.index('<ol class="findings">') :]
    assert "LIC001" in listed and "BAL001" not in listed


def test_filters_by_code_family_level_and_state(audited: tuple[Project, Built, Seeded]) -> None:
    project, _built, seeded = audited
    client = explorer_client(project, anonymous=True)

    def shown(query: str) -> set[str]:
        return set(re.findall(r'id="f-([0-9a-f]{12})"', client.get("/audit" + query).text))

    labels = {f[:12] for f in seeded.labels}
    assert shown("?code=LBL001") == labels
    assert shown("?code=lbl001") == labels
    assert shown("?family=licences") == {seeded.licence[:12]}
    assert shown("?family=leakage") == set()  # the pair is r1's
    assert shown("?scope=r1&level=error") == {seeded.pair[:12]}
    assert shown("?state=reviewed") == set()
    assert len(shown("")) == LABEL_ISSUES + 2
    assert client.get("/audit?scope=nothing").status_code == 404
    assert client.get("/audit?state=closed").status_code == 400


def test_the_json_endpoints(audited: tuple[Project, Built, Seeded]) -> None:
    project, built, seeded = audited
    client = explorer_client(project, anonymous=True)
    summary = client.get("/api/audit").json()
    assert summary["scopes"] == ["", "r1"]
    lic = next(c for c in summary["checks"] if c["code"] == "LIC001")
    assert (lic["found"], lic["open"], lic["reviewed"], lic["level"]) == (1, 1, 0, "warning")
    assert lic["ran_at"] is not None and lic["skipped"] is None
    page = client.get("/api/audit/findings?code=LBL001&limit=2").json()
    assert page["total"] == LABEL_ISSUES and len(page["findings"]) == 2
    assert [f["fingerprint"] for f in page["findings"]] == seeded.labels[:2]
    assert page["findings"][0]["evidence"]["suggested"] == DOG
    assert set(page["thumbnails"]) == set(built.cats[:2])
    second = client.get("/api/audit/findings?code=LBL001&limit=2&offset=2").json()
    assert [f["fingerprint"] for f in second["findings"]] == seeded.labels[2:]
    about_dog = client.get(f"/api/audit/findings?synset={DOG}").json()
    assert [f["fingerprint"] for f in about_dog["findings"]] == [seeded.synset]
    _train, val = built.group
    about_val = client.get(f"/api/audit/findings?image={val}").json()
    assert [f["fingerprint"] for f in about_val["findings"]] == [seeded.pair]
    assert client.get("/api/audit?scope=r9").json()["error"]["code"] == "E_NOT_FOUND"


def test_a_checks_page_shows_its_documentation_and_findings(
    audited: tuple[Project, Built, Seeded],
) -> None:
    project, _built, seeded = audited
    client = explorer_client(project, anonymous=True)
    page = client.get("/audit/code/LIC001").text
    assert "Images without a recorded source or licence" in page  # the docstring
    assert "Fix: re-ingest the source with <code>--licence</code>" in page
    assert _finding_html(page, seeded.licence)
    assert "example image" in page
    lic2 = client.get("/audit/code/lic002").text
    assert "allowed" in lic2 and "skipped: no licence policy" in lic2
    # a stored code whose check is not registered still has a page
    assert client.get("/audit/code/LBL001").status_code == 200
    assert client.get("/audit/code/ZZZ999").status_code == 404


def test_the_label_issues_page_ranks_given_against_suggested(
    audited: tuple[Project, Built, Seeded],
) -> None:
    project, built, seeded = audited
    client = explorer_client(project, anonymous=True)
    page = client.get("/audit/labels").text
    order = re.findall(r'<li class="issue[^"]*" id="f-([0-9a-f]{12})"', page)
    assert order == [f[:12] for f in seeded.labels]
    first = _finding_html(page, seeded.labels[0])
    assert f'href="/synset/{TIGER_CAT}">tiger cat</a>' in first
    assert f'href="/synset/{DOG}">dog</a>' in first
    assert f'src="/thumb/{built.cats[0]}"' in first
    assert "P(given) 0.10" in first
    assert "Accept" not in page  # not signed in: no review buttons
    assert "Label issues" in client.get("/audit").text


def test_a_label_issue_without_names_or_scores_still_shows(
    explorer: tuple[Project, Built],
) -> None:
    project, built = explorer
    bare = Finding("LBL001", built.dogs[0], "maybe not a dog", image=built.dogs[0])
    save_findings(project.catalog, "", [("LBL001", "warning", [bare], None)])
    page = explorer_client(project, anonymous=True).get("/audit/labels").text
    assert f'src="/thumb/{built.dogs[0]}"' in page
    assert "Suggested</dt><dd>–" in page


# ----------------------------------------------------------------------------- reviews and roles


def test_an_admin_dismisses_with_a_reason_accepts_and_reopens(
    audited: tuple[Project, Built, Seeded],
) -> None:
    project, _built, seeded = audited
    client = explorer_client(project, who="root")
    response = _review(client, seeded.licence, "dismissed", "")
    assert response.status_code == 400  # a dismissal needs a reason
    response = _review(client, seeded.licence, "dismissed", "ImageNet's terms of access")
    assert response.status_code == 303
    assert response.headers["location"] == f"/audit#f-{seeded.licence[:12]}"
    item = _finding_html(client.get("/audit").text, seeded.licence)
    assert "dismissed" in item and "ImageNet&#39;s terms of access" in item and "root" in item
    assert "Reopen" in item
    assert _review(client, seeded.labels[0], "accepted", page="/audit/labels").status_code == 303
    labels = client.get("/audit/labels?state=reviewed").text
    assert seeded.labels[0][:12] in labels and "accepted" in labels
    lic = next(c for c in client.get("/api/audit").json()["checks"] if c["code"] == "LIC001")
    assert (lic["open"], lic["reviewed"]) == (0, 1)
    assert _review(client, seeded.licence, "open").status_code == 303
    item = _finding_html(client.get("/audit").text, seeded.licence)
    assert "Dismiss" in item and "Reopen" not in item


def test_a_review_outlives_a_new_run(audited: tuple[Project, Built, Seeded]) -> None:
    project, _built, seeded = audited
    client = explorer_client(project, who="root")
    assert _review(client, seeded.licence, "dismissed", "terms of access").status_code == 303
    run_audit(project, AuditConfig(select=("LIC",)))
    found, _ = list_findings(project.catalog, "", codes=("LIC001",))
    assert found[0].fingerprint == seeded.licence and found[0].review is not None
    assert "terms of access" in _finding_html(client.get("/audit").text, seeded.licence)


def test_who_may_see_and_who_may_review(audited: tuple[Project, Built, Seeded]) -> None:
    project, _built, seeded = audited
    anonymous = explorer_client(project)  # anonymous browsing off
    assert anonymous.get("/audit", follow_redirects=False).headers["location"] == "/login"
    assert anonymous.get("/api/audit").status_code == 401
    crowd = explorer_client(project, who="crowd")  # labels, may not browse
    for url in ("/audit", "/audit/labels", "/audit/code/LIC001", "/api/audit/findings"):
        assert crowd.get(url).status_code == 403, url
    token = csrf_of(crowd.get("/label").text)
    refused = crowd.post(
        "/audit/review",
        data={"csrf": token, "fingerprint": seeded.licence, "status": "accepted"},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    lab = explorer_client(project, who="lab")  # may browse, not admin
    page = lab.get("/audit").text
    assert "Dismiss" not in page and "Accept" not in page
    assert _review(lab, seeded.licence, "accepted").status_code == 403
    open_ = explorer_client(project, anonymous=True)
    assert open_.post("/audit/review", data={"status": "accepted"}).status_code in (401, 303)
    root = explorer_client(project, who="root")
    assert "Dismiss" in root.get("/audit").text
    forged = root.post(
        "/audit/review",
        data={"csrf": "x" * 64, "fingerprint": seeded.licence, "status": "accepted"},
        follow_redirects=False,
    )
    assert forged.status_code == 403 and "E_CSRF" in forged.text
    assert list_findings(project.catalog, "", state="reviewed")[1] == 0


def test_the_review_api(audited: tuple[Project, Built, Seeded]) -> None:
    project, _built, seeded = audited
    root = explorer_client(project, who="root")
    token = csrf_of(root.get("/audit").text)
    body = {"fingerprint": seeded.pair[:10], "status": "dismissed", "reason": "a crop, kept"}
    assert root.post("/api/audit/review", json=body).json()["error"]["code"] == "E_CSRF"
    done = root.post("/api/audit/review", json=body, headers={"X-CSRF-Token": token}).json()
    assert done["fingerprint"] == seeded.pair and done["review"]["actor"] == "root"
    assert done["review"]["status"] == "dismissed"
    missing = root.post(
        "/api/audit/review",
        json={"fingerprint": "abcdef0123", "status": "accepted"},
        headers={"X-CSRF-Token": token},
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "E_AUDIT_FINDING"
    no_reason = root.post(
        "/api/audit/review",
        json={"fingerprint": seeded.synset, "status": "dismissed"},
        headers={"X-CSRF-Token": token},
    )
    assert no_reason.status_code == 400
    reopened = root.post(
        "/api/audit/review",
        json={"fingerprint": seeded.pair, "status": "open"},
        headers={"X-CSRF-Token": token},
    ).json()
    assert reopened == {"fingerprint": seeded.pair, "review": None}
    lab = explorer_client(project, who="lab")
    lab_token = csrf_of(lab.get("/audit").text)
    refused = lab.post(
        "/api/audit/review",
        json={"fingerprint": seeded.pair, "status": "accepted"},
        headers={"X-CSRF-Token": lab_token},
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "E_FORBIDDEN"
    anonymous = explorer_client(project, anonymous=True)
    assert anonymous.post("/api/audit/review", json=body).status_code == 401


def test_a_review_goes_back_only_to_an_audit_page(audited: tuple[Project, Built, Seeded]) -> None:
    project, _built, seeded = audited
    root = explorer_client(project, who="root")
    token = csrf_of(root.get("/audit").text)
    for back, expected in (
        ("https://evil.example/", "/audit"),
        ("//evil.example/audit", "/audit"),
        ("/audit/labels?state=all", "/audit/labels?state=all"),
    ):
        response = root.post(
            "/audit/review",
            data={"csrf": token, "fingerprint": seeded.synset, "status": "accepted", "back": back},
            follow_redirects=False,
        )
        assert response.headers["location"] == f"{expected}#f-{seeded.synset[:12]}"


# ----------------------------------------------------------------- beside what they concern


def test_the_tree_badges_nodes_with_open_findings(audited: tuple[Project, Built, Seeded]) -> None:
    project, _built, seeded = audited
    client = explorer_client(project, anonymous=True)
    carnivores = client.get(f"/api/tree?wnid={ANIMAL}").json()
    assert "findings" in carnivores
    dogs = client.get("/api/tree?wnid=n02083346").json()  # canine: dog is a child
    assert dogs["findings"].get(DOG) == 1
    felines = client.get("/api/tree?wnid=n02121808").json()  # domestic cat: tiger cat
    assert felines["findings"].get(TIGER_CAT) == LABEL_ISSUES
    root = explorer_client(project, who="root")
    assert _review(root, seeded.synset, "accepted").status_code == 303
    assert DOG not in client.get("/api/tree?wnid=n02083346").json()["findings"]


def test_the_synset_page_shows_its_findings(audited: tuple[Project, Built, Seeded]) -> None:
    project, _built, _seeded = audited
    client = explorer_client(project, anonymous=True)
    page = client.get(f"/synset/{DOG}").text
    banner = re.search(r'<section class="findings-banner".*?</section>', page, re.S)
    assert banner, "no findings banner"
    assert "BAL001" in banner.group(0) and "many more images" in banner.group(0)
    assert 'href="/audit/code/BAL001' in banner.group(0)
    cat = client.get(f"/synset/{TIGER_CAT}").text
    assert cat.count("LBL001") >= LABEL_ISSUES
    quiet = client.get("/synset/n02075296").text  # carnivore: nothing found about it
    assert "findings-banner" not in quiet


def test_the_image_page_gives_the_reasons_from_either_side_of_a_pair(
    audited: tuple[Project, Built, Seeded],
) -> None:
    project, built, _seeded = audited
    client = explorer_client(project, anonymous=True)
    train, val = built.group
    for this, other in ((train, val), (val, train)):
        page = client.get(f"/image/{this}").text
        reasons = re.search(r'<section class="findings-banner".*?</section>', page, re.S)
        assert reasons, this
        assert "LEK001" in reasons.group(0) and f'href="/image/{other}"' in reasons.group(0)
    label = client.get(f"/image/{built.cats[0]}").text
    assert "probably dog" in label
    assert "findings-banner" not in client.get(f"/image/{built.dogs[-1]}").text


# ----------------------------------------------------------------------------- bounded queries

QUERY_PAGES = (
    "/audit",
    "/audit?scope=r1&level=error",
    "/audit?family=labels&state=open&offset=1",
    "/audit/code/LBL001",
    "/audit/labels",
    "/api/audit",
    "/api/audit/findings?code=LBL001",
    f"/api/audit/findings?synset={TIGER_CAT}",
)


@pytest.fixture(scope="module")
def audited_sizes(
    wordnet_project_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Project]]:
    """A small catalog with the seeded findings, and a larger one with 40 times the label issues."""
    built = {}
    for name, size, extra_issues in (
        ("small", {"dogs": 12, "accepted": 8}, 0),
        ("large", {"dogs": 40, "accepted": 30}, 120),
    ):
        work = tmp_path_factory.mktemp(name)
        shutil.copytree(wordnet_project_template, work / "project")
        made = build(work / "project", work, **size)
        project = Project.open(work / "project")
        seed(project, made)
        many = [
            Finding(
                "LBL001",
                f"{image}:{i}",
                "another label issue",
                synset=TIGER_CAT,
                image=image,
                evidence={"given": TIGER_CAT, "suggested": DOG},
                score=0.01 * i,
            )
            for i, image in enumerate(made.dogs * (extra_issues // len(made.dogs)))
        ]
        if many:
            save_findings(project.catalog, "", [("LBL001", "warning", many, None)])
        built[name] = project
    yield built
    for project in built.values():
        project.close()


@pytest.mark.parametrize("url", QUERY_PAGES)
def test_an_audit_page_runs_as_many_statements_however_many_findings(
    audited_sizes: dict[str, Project], url: str
) -> None:
    counts = {}
    for name, project in audited_sizes.items():
        client = explorer_client(project, anonymous=True)
        client.get(url)  # warm: what is cached for the app's life
        with statements(project) as seen:
            response = client.get(url)
        assert response.status_code == 200, (url, response.text[:200])
        counts[name] = len(seen)
    assert counts["small"] == counts["large"] <= 8, counts
