"""The explorer's JSON API and pages on a real project: counts, grids, images, releases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from synsetdb.catalog import Project, schema
from synsetdb.release import create_release, parse_spec
from tests.web.conftest import explorer_client
from tests.web.explorer_data import BOX, CARNIVORE, DOG, TIGER_CAT, Built

CANINE, FELINE = "n02083346", "n02120997"


@pytest.fixture
def client(explorer: tuple[Project, Built]) -> Iterator[TestClient]:
    project, _ = explorer
    with explorer_client(project, anonymous=True) as client:
        yield client


def _get(client: TestClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return response.json()


def _live(project: Project, wnid: str) -> int:
    """The synset's own candidates that are not rejected, counted the plain way."""
    c = schema.candidate.c
    query = select(func.count()).where(
        c.synset_id == project.catalog.synset_id(wnid), c.status != "rejected"
    )
    with project.catalog.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


# ----------------------------------------------------------------------------- tree, search


def test_the_tree_counts_each_image_once_per_subtree(
    client: TestClient, explorer: tuple[Project, Built]
) -> None:
    project, built = explorer
    roots = _get(client, "/api/tree")
    assert [n["wnid"] for n in roots["nodes"]] == ["n00001740"]
    total = len(built.dogs) + len(built.cats)  # the boxed dog is a tiger cat candidate too
    assert roots["nodes"][0]["images"] == total
    level = _get(client, f"/api/tree?wnid={CARNIVORE}")
    nodes = {n["wnid"]: n for n in level["nodes"]}
    assert set(nodes) == {CANINE, FELINE}  # children without images are left out
    assert nodes[CANINE]["images"] == _live(project, DOG)
    assert nodes[FELINE]["images"] == len(built.cats) + 1
    assert nodes[CANINE]["has_children"] and nodes[CANINE]["own_images"] == 0
    assert [n["wnid"] for n in level["nodes"]] == [CANINE, FELINE]  # largest first
    with_empty = _get(client, f"/api/tree?wnid={CARNIVORE}&empty=true")
    assert len(with_empty["nodes"]) > 2 and {CANINE, FELINE} <= {
        n["wnid"] for n in with_empty["nodes"]
    }


def test_a_release_tree_counts_by_split(client: TestClient) -> None:
    releases = _get(client, "/api/releases")
    (r1,) = releases
    level = _get(client, f"/api/tree?wnid={CARNIVORE}&release=r1")
    nodes = {n["wnid"]: n for n in level["nodes"]}
    canine = nodes[CANINE]["counts"]["subtree"]
    assert canine["all"] == canine["train"] + canine["val"]
    assert sum(n["images"] for n in level["nodes"]) == r1["items"]
    assert _get(client, "/api/tree?release=r1")["nodes"][0]["images"] == r1["items"]


def test_search_finds_lemmas_and_wnids(client: TestClient) -> None:
    hits = _get(client, "/api/search?q=tiger%20cat")
    assert TIGER_CAT in [h["wnid"] for h in hits]
    tiger = next(h for h in hits if h["wnid"] == TIGER_CAT)
    assert tiger["lemmas"] == ["tiger cat"] and tiger["images"] == 6  # no underscores
    assert _get(client, "/api/search?q=02084071")[0]["wnid"] == DOG  # as people type ids
    assert _get(client, "/api/search?q=%20") == []
    response = client.get("/search?q=n02084071", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/synset/{DOG}"
    page = client.get("/search?q=dog").text
    assert f'href="/synset/{DOG}"' in page


def test_the_tree_page_opens_the_chain_of_only_children(client: TestClient) -> None:
    page = client.get("/explore").text
    # entity has one child with images, physical entity too: both are opened.
    assert page.count('aria-expanded="true"') >= 2
    assert 'data-wnid="n00001930"' in page and 'href="/synset/n00002684"' in page


# ----------------------------------------------------------------------------- synset and grid


def test_a_synset_page_has_names_paths_children_and_counts(
    client: TestClient, explorer: tuple[Project, Built]
) -> None:
    project, _ = explorer
    synset = _get(client, f"/api/synsets/{DOG}")
    assert synset["name"] == "dog" and synset["lemmas"] == [
        "dog",
        "domestic dog",
        "Canis familiaris",
    ]
    assert len(synset["paths"]) == 2  # canine and domestic animal
    assert {p[-1]["wnid"] for p in synset["paths"]} == {CANINE, "n01317541"}
    assert all(p[0]["wnid"] == "n00001740" for p in synset["paths"])
    assert synset["counts"]["own"]["live"] == _live(project, DOG)
    assert sum(synset["facets"]["source"].values()) == _live(project, DOG)
    page = client.get(f"/synset/{DOG}").text
    assert "domestic dog" in page and "domestic_dog" not in page
    assert 'rel="next"' in page  # 70 images: a second page
    assert page.count('class="tile-item"') == 60


def test_a_grid_pages_filters_and_sorts(
    client: TestClient, explorer: tuple[Project, Built]
) -> None:
    project, built = explorer
    first = _get(client, f"/api/synsets/{DOG}/images?limit=50")
    second = _get(client, f"/api/synsets/{DOG}/images?limit=50&offset=50")
    seen = [t["image_id"] for t in first["tiles"] + second["tiles"]]
    assert len(seen) == len(set(seen)) == first["total"] == _live(project, DOG)
    assert seen == sorted(seen)  # by id: a stable shuffle
    accepted = _get(client, f"/api/synsets/{DOG}/images?status=accepted&limit=200")
    assert {t["status"] for t in accepted["tiles"]} == {"accepted"}
    assert accepted["total"] == len(built.dogs) - 10 + _decided(project, built, "accepted")
    largest = _get(client, f"/api/synsets/{DOG}/images?sort=largest&limit=3")["tiles"]
    areas = [t["width"] * t["height"] for t in largest]
    assert areas == sorted(areas, reverse=True)
    in_release = _get(client, f"/api/synsets/{DOG}/images?release=r1&split=val&limit=200")
    assert in_release["total"] > 0 and {t["split"] for t in in_release["tiles"]} == {"val"}


def _decided(project: Project, built: Built, status: str) -> int:
    """How many of the voted candidates the consensus moved to ``status``."""
    c = schema.candidate.c
    with project.catalog.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).where(
                    c.image_id.in_(built.voted),
                    c.synset_id == project.catalog.synset_id(DOG),
                    c.status == status,
                )
            ).scalar_one()
        )


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("sort=random", "E_BAD_REQUEST"),
        ("status=bogus", "E_QUERY"),
        ("limit=0", "E_BAD_REQUEST"),
        ("limit=5000", "E_BAD_REQUEST"),
        ("offset=-1", "E_BAD_REQUEST"),
        ("release=..%2Fx", "E_BAD_REQUEST"),
    ],
)
def test_bad_grid_queries_are_refused_with_a_code(
    client: TestClient, query: str, code: str
) -> None:
    response = client.get(f"/api/synsets/{DOG}/images?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_unknown_things_are_404_with_their_code(client: TestClient) -> None:
    for url, code in (
        ("/api/synsets/n02084072", "E_UNKNOWN_SYNSET"),
        ("/api/tree?wnid=n99999999", "E_UNKNOWN_SYNSET"),
        ("/api/synsets/n02084071/images?release=nope", "E_NO_RELEASE"),
        ("/api/images/" + "0" * 64, "E_NOT_FOUND"),
        ("/api/images/not-a-sha", "E_NOT_FOUND"),
        ("/api/releases/nope", "E_NO_RELEASE"),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == code, url
    page = client.get("/synset/n02084072")
    assert (
        page.status_code == 404 and "did you mean" in page.text and "E_UNKNOWN_SYNSET" in page.text
    )


# ----------------------------------------------------------------------------- images


def test_an_image_page_has_labels_votes_boxes_releases_and_duplicates(
    client: TestClient, explorer: tuple[Project, Built]
) -> None:
    _, built = explorer
    data = _get(client, f"/api/images/{built.boxed}")
    info = data["image"]
    assert {c["wnid"]: c["status"] for c in info["candidates"]} == {
        DOG: "accepted",
        TIGER_CAT: "candidate",
    }
    assert [(b["wnid"], b["x0"], b["y0"], b["x1"], b["y1"]) for b in info["boxes"]] == [
        (TIGER_CAT, *BOX)
    ]
    assert info["releases"] and info["releases"][0]["release"] == "r1"
    train, val = built.group
    other = val if built.boxed == train else train
    assert [d["image_id"] for d in info["duplicates"]] == [other]
    page = client.get(f"/image/{built.boxed}").text
    assert '<rect class="box" x="10.0" y="12.0" width="80.0" height="88.0">' in page
    assert f'href="/original/{built.boxed}"' in page


def test_an_image_page_shows_the_votes_and_p_good(
    client: TestClient, explorer: tuple[Project, Built]
) -> None:
    _, built = explorer
    data = _get(client, f"/api/images/{built.voted[0]}")
    (candidate,) = data["image"]["candidates"]
    assert sorted((v["worker"], v["answer"]) for v in candidate["votes"]) == [
        ("w1", 1),
        ("w2", 1),
        ("w3", 0),
    ]
    assert 0.0 <= data["confidence"][str(candidate["id"])] <= 1.0
    page = client.get(f"/image/{built.voted[0]}").text
    assert "3 votes" in page and "w3: <strong>no</strong>" in page


def test_a_facet_grid_pages_by_id(client: TestClient, explorer: tuple[Project, Built]) -> None:
    stats = _get(client, "/api/stats")
    source = stats["sources"][0]
    pages, after = [], ""
    while True:
        page = _get(
            client,
            f"/api/images?facet=source&value={source['query']['value']}&limit=30&after={after}",
        )
        pages.append(page)
        after = page["after"]
        if after is None:
            break
    ids = [i["image_id"] for p in pages for i in p["images"]]
    assert len(ids) == len(set(ids)) == source["count"] == pages[0]["total"]
    assert ids == sorted(ids)


# ----------------------------------------------------------------------------- statistics


def test_statistics_come_from_the_counts_and_link_to_what_is_behind(
    client: TestClient, explorer: tuple[Project, Built]
) -> None:
    _, built = explorer
    stats = _get(client, "/api/stats")
    assert stats["synsets"] == 2  # dog and tiger cat hold images of their own
    assert stats["images"] == len(built.dogs) + len(built.cats)
    assert sum(b["count"] for b in stats["class_sizes"]) == 2
    assert stats["labels"]["accepted"] >= len(built.dogs) - 10 + len(built.cats)
    assert stats["days"] and stats["added"][-1] == stats["images"]
    assert stats["votes"][-1] == 3 * len(built.voted)
    page = client.get("/stats").text
    assert page.count("<svg") >= 6
    link = re.search(r'<a href="(/synsets\?min_images=[^"]+)">', page)
    assert link is not None
    listed = client.get(link.group(1).replace("&amp;", "&")).text
    assert "synsets with images of their own" in listed
    scoped = _get(client, f"/api/stats?wnid={CANINE}")
    assert scoped["synsets"] == 1 and scoped["class_sizes"]
    per_split = _get(client, "/api/stats?release=r1")
    assert set(per_split["labels"]) == {"train", "val"}


# ----------------------------------------------------------------------------- duplicates


def test_duplicates_show_groups_and_those_that_leak_across_splits(
    client: TestClient, explorer: tuple[Project, Built]
) -> None:
    _, built = explorer
    everything = _get(client, "/api/duplicates")
    (group,) = everything["page"]["groups"]
    assert sorted(m["image_id"] for m in group["members"]) == sorted(built.group)
    assert everything["stored"]["radius"] == 6 and everything["page"]["straddling"] == 0
    leaks = _get(client, "/api/duplicates?release=r1&straddling=true")
    assert leaks["page"]["straddling"] == 1
    (leak,) = leaks["page"]["groups"]
    assert leak["splits"] == {"train": 1, "val": 1}
    assert {m["split"] for m in leak["members"]} == {"train", "val"}
    page = client.get("/duplicates?release=r1").text
    assert "across 2 splits" in page and "1 of these 1 groups" in page


# ----------------------------------------------------------------------------- releases


def test_releases_their_datasheet_files_and_diffs(
    client: TestClient, explorer: tuple[Project, Built]
) -> None:
    project, _ = explorer
    (r1,) = _get(client, "/api/releases")
    summary = _get(client, "/api/releases/r1")
    assert sum(summary["splits"].values()) == r1["items"]
    page = client.get("/releases/r1").text
    assert "Datasheet: r1" in page and r1["sha256"] in page
    assert 'src="/releases/r1/files/datasheet-class-counts.png"' in page
    png = client.get("/releases/r1/files/datasheet-class-counts.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    for bad in ("../catalog.sqlite", "..%2Fcatalog.sqlite", "synsetdb.toml", "x.png"):
        assert client.get(f"/releases/r1/files/{bad}").status_code == 404, bad
    spec = parse_spec(
        f'seed = 8\nparent = "r1"\n[selection]\nwnids = ["{DOG}"]\n'
        '[splits]\nval = 0.5\nparent = "resplit"\n'  # re-split: images move
    )
    create_release(project, "r2", spec)
    diff = _get(client, "/api/releases/r1/diff/r2")
    assert diff["counts"]["classes_removed"] == 1 and diff["counts"]["moved"] > 0
    cached = list((project.releases_dir / ".cache").glob("diff-*.json"))
    assert len(cached) == 1
    assert _get(client, "/api/releases/r1/diff/r2") == diff  # now read from the cache
    form = client.get("/releases/r2/diff?other=r1", follow_redirects=False)
    assert form.headers["location"] == "/releases/r1/diff/r2"
    page = client.get("/releases/r1/diff/r2").text
    assert "moved between splits" in page
    leaked = diff["counts"]["held_out_to_train"]
    assert (leaked > 0) == ("Held-out images moved into train" in page)


# ----------------------------------------------------------------------------- the API's schema


def test_the_api_is_described_by_openapi_and_a_local_page(client: TestClient) -> None:
    schema_json = _get(client, "/api/openapi.json")
    paths = set(schema_json["paths"])
    for path in (
        "/api/tree",
        "/api/search",
        "/api/synsets/{wnid}",
        "/api/synsets/{wnid}/images",
        "/api/images/{image_id}",
        "/api/stats",
        "/api/duplicates",
        "/api/releases/{name}/diff/{other}",
    ):
        assert path in paths
    assert all(p.startswith("/api/") for p in paths)  # pages, images, sign-in stay out
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "GET /api/synsets/{wnid}/images" in docs.text
    assert "cdn" not in docs.text.lower()


def test_statistics_are_kept_until_the_counts_change(
    client: TestClient, explorer: tuple[Project, Built]
) -> None:
    project, _ = explorer
    before = _get(client, "/api/stats")
    assert _get(client, "/api/stats") == before  # kept: the counts did not change
    from tests.fixtures.catalog_images import add_image_row

    project.catalog.add_candidate(add_image_row(project.catalog, "one more"), TIGER_CAT)
    after = _get(client, "/api/stats")
    assert after["images"] == before["images"] + 1
    assert after["labels"]["candidate"] == before["labels"].get("candidate", 0) + 1


def test_the_release_chooser_goes_back_to_the_catalog(client: TestClient) -> None:
    """Its "the whole catalog" option sends an empty release: the catalog, not a 400."""
    for page in ("/explore", "/stats", "/duplicates", f"/synset/{DOG}"):
        assert client.get(page + "?release=").status_code == 200, page
    assert _get(client, "/api/tree?release=") == _get(client, "/api/tree")
    assert client.get("/image/" + "0" * 64 + "?release=nope").status_code == 404


def test_a_wnid_typed_as_people_type_it_opens_its_page(client: TestClient) -> None:
    for typed in ("02084071", "N02084071", "n2084071"):
        response = client.get(f"/search?q={typed}", follow_redirects=False)
        assert response.headers.get("location") == f"/synset/{DOG}", typed


def test_scoped_statistics_count_each_image_once(
    client: TestClient, explorer: tuple[Project, Built]
) -> None:
    _, built = explorer
    carnivores = _get(client, f"/api/stats?wnid={CARNIVORE}")
    # the boxed dog is a tiger cat candidate too: one image under carnivore
    assert carnivores["images"] == len(built.dogs) + len(built.cats)
    assert carnivores["labels"]["candidate"] >= 1 and "live" not in carnivores["labels"]
    release = _get(client, "/api/stats?release=r1")
    (r1,) = _get(client, "/api/releases")
    assert release["images"] == r1["items"]  # each r1 image is in one class


def test_a_large_group_lists_its_first_members(
    client: TestClient, explorer: tuple[Project, Built]
) -> None:
    from synsetdb.catalog.duplicates import MEMBERS_SHOWN, store_duplicate_groups

    project, built = explorer
    store_duplicate_groups(project.catalog, [(sorted(built.dogs), 6)], radius=6, images=80)
    (group,) = _get(client, "/api/duplicates")["page"]["groups"]  # the stored groups changed
    assert group["size"] == len(built.dogs)
    assert [m["image_id"] for m in group["members"]] == sorted(built.dogs)[:MEMBERS_SHOWN]


@pytest.mark.parametrize("sort", ["id", "status", "newest", "oldest", "largest", "smallest"])
def test_every_order_pages_through_the_whole_class_once(client: TestClient, sort: str) -> None:
    whole = _get(client, f"/api/synsets/{DOG}/images?sort={sort}&status=all&limit=200")
    pages = [
        _get(client, f"/api/synsets/{DOG}/images?sort={sort}&status=all&limit=7&offset={o}")
        for o in range(0, whole["total"], 7)
    ]
    assert [t["image_id"] for p in pages for t in p["tiles"]] == [
        t["image_id"] for t in whole["tiles"]
    ]
    source = whole["tiles"][0]["source"]
    filtered = _get(client, f"/api/synsets/{DOG}/images?sort={sort}&source={source}&limit=200")
    assert {t["source"] for t in filtered["tiles"]} == {source}
    assert filtered["total"] == len(filtered["tiles"])
