// The explorer's small enhancements. Every page works without this file: tree
// names link to synset pages, search is a form, grids have "More images" links.
//   tree     a node's toggle fetches its children from /api/tree
//   search   suggestions from /api/search as you type (arrows, Enter, Escape)
//   grids    the next page loads as you reach the end (up to MAX_PAGES, then a
//            link), arrow keys move between images, Enter opens one
"use strict";

(function () {
  const MAX_PAGES = 10; // pages a grid appends before its link takes over: the DOM stays small

  function el(tag, attributes, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined && value !== false) {
        node.setAttribute(name, value === true ? "" : String(value));
      }
    }
    for (const child of children || []) {
      node.append(child);
    }
    return node;
  }

  function number(n) {
    return Number(n).toLocaleString("en-US");
  }

  async function getJSON(url, signal) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, signal });
    if (!response.ok) {
      throw new Error(url + ": " + response.status);
    }
    return response.json();
  }

  // ------------------------------------------------------------------ forms

  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }

  // ------------------------------------------------------------------ tree

  const STATUSES = [
    ["accepted", "accepted"],
    ["candidate", "to verify"],
    ["undecided", "undecided"],
    ["rejected", "rejected"],
  ];

  function breakdown(counts, release) {
    const box = el("span", { class: "breakdown" });
    const values = counts.subtree || {};
    if (release) {
      for (const split of Object.keys(values).sort()) {
        if (split !== "all") {
          box.append(el("span", { class: "pill split-" + split }, [split + " " + number(values[split])]));
        }
      }
    } else {
      for (const [status, label] of STATUSES) {
        if (values[status]) {
          box.append(el("span", { class: "pill status-" + status }, [label + " " + number(values[status])]));
        }
      }
    }
    return box;
  }

  function treeNode(node, release, findings) {
    const query = release ? "?release=" + encodeURIComponent(release) : "";
    const row = el("div", { class: "row" });
    row.append(
      node.has_children
        ? el("button", { type: "button", class: "toggle", "aria-expanded": "false", "aria-label": "Open " + node.name })
        : el("span", { class: "leaf", "aria-hidden": "true" }),
      el("a", { href: "/synset/" + node.wnid + query, class: "name" }, [node.name]),
      el("code", { class: "wnid" }, [node.wnid]),
      el("span", { class: "count", title: "images in its subtree" }, [number(node.images)]),
    );
    if (node.own_images && node.own_images !== node.images) {
      row.append(el("span", { class: "own", title: "its own images" }, [number(node.own_images) + " own"]));
    }
    row.append(breakdown(node.counts, release));
    if (findings && findings[node.wnid]) {
      row.append(el("a", { class: "finding-badge", href: "/synset/" + node.wnid + "#findings", title: "open audit findings about it" }, [number(findings[node.wnid]) + " found"]));
    }
    return el("li", { class: "node", "data-wnid": node.wnid }, [row]);
  }

  async function toggle(button, tree) {
    const item = button.closest(".node");
    const open = button.getAttribute("aria-expanded") === "true";
    const shown = item.querySelector(":scope > ul");
    if (shown) {
      shown.hidden = open;
      button.setAttribute("aria-expanded", String(!open));
      return;
    }
    const params = new URLSearchParams({ wnid: item.dataset.wnid });
    if (tree.dataset.release) {
      params.set("release", tree.dataset.release);
    }
    if (tree.dataset.empty) {
      params.set("empty", "true");
    }
    button.setAttribute("aria-busy", "true");
    try {
      const level = await getJSON("/api/tree?" + params);
      const list = el("ul", {}, level.nodes.map((n) => treeNode(n, tree.dataset.release, level.findings)));
      item.append(list);
      button.setAttribute("aria-expanded", "true");
    } catch (error) {
      button.title = "Could not open: " + error.message;
    } finally {
      button.removeAttribute("aria-busy");
    }
  }

  for (const tree of document.querySelectorAll(".tree")) {
    tree.addEventListener("click", (event) => {
      const button = event.target.closest(".toggle");
      if (button) {
        toggle(button, tree);
      }
    });
    tree.addEventListener("keydown", (event) => {
      const button = event.target.closest(".toggle");
      if (!button) {
        return;
      }
      const open = button.getAttribute("aria-expanded") === "true";
      if ((event.key === "ArrowRight" && !open) || (event.key === "ArrowLeft" && open)) {
        event.preventDefault();
        toggle(button, tree);
      }
    });
  }

  // ------------------------------------------------------------------ search

  const input = document.getElementById("q");
  const hits = document.getElementById("q-hits");
  if (input && hits) {
    let controller = null;
    let timer = null;
    let selected = -1;

    const options = () => Array.from(hits.querySelectorAll("li"));

    function select(index) {
      const all = options();
      selected = Math.max(-1, Math.min(index, all.length - 1));
      all.forEach((li, i) => li.setAttribute("aria-selected", String(i === selected)));
      input.setAttribute("aria-activedescendant", selected >= 0 ? all[selected].id : "");
    }

    function close() {
      hits.hidden = true;
      hits.replaceChildren();
      selected = -1;
    }

    async function suggest() {
      const text = input.value.trim();
      if (controller) {
        controller.abort();
      }
      if (!text) {
        close();
        return;
      }
      controller = new AbortController();
      try {
        const found = await getJSON("/api/search?limit=10&q=" + encodeURIComponent(text), controller.signal);
        hits.replaceChildren(
          ...found.map((hit, i) =>
            el("li", { id: "q-hit-" + i, role: "option", "data-wnid": hit.wnid }, [
              el("strong", {}, [hit.lemmas.join(", ")]),
              " ",
              el("code", { class: "wnid" }, [hit.wnid]),
              " ",
              el("span", { class: "count" }, [number(hit.images)]),
              el("span", { class: "gloss" }, [hit.gloss]),
            ]),
          ),
        );
        hits.hidden = found.length === 0;
        select(-1);
      } catch (error) {
        if (error.name !== "AbortError") {
          close();
        }
      }
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(suggest, 120);
    });
    input.addEventListener("keydown", (event) => {
      if (hits.hidden) {
        return;
      }
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        select(selected + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter" && selected >= 0) {
        event.preventDefault();
        window.location.href = "/synset/" + options()[selected].dataset.wnid;
      } else if (event.key === "Escape") {
        close();
      }
    });
    hits.addEventListener("mousedown", (event) => {
      const li = event.target.closest("li");
      if (li) {
        event.preventDefault(); // keep the focus; navigate instead
        window.location.href = "/synset/" + li.dataset.wnid;
      }
    });
    input.addEventListener("blur", () => setTimeout(close, 150));
  }

  // ------------------------------------------------------------------ grids

  const grid = document.getElementById("grid");
  if (grid) {
    const more = document.getElementById("more");
    const release = grid.dataset.release;
    const query = release ? "?release=" + encodeURIComponent(release) : "";
    let pages = 0;
    let loading = false;

    function tile(image) {
      const tags = [image.status, image.split].filter(Boolean);
      const content = image.has_thumbnail
        ? el("img", { src: "/thumb/" + image.image_id, alt: "image " + image.image_id.slice(0, 12), loading: "lazy", decoding: "async", width: 160, height: 160 })
        : el("span", { class: "missing" }, ["no preview"]);
      const link = el("a", { class: "thumb" + (image.status && !release ? " status-" + image.status : ""), href: "/image/" + image.image_id + query }, [content]);
      if (tags.length && !release) {
        link.append(el("span", { class: "tag" }, [tags.join(" · ")]));
      } else if (image.split) {
        link.append(el("span", { class: "tag" }, [image.split]));
      }
      return el("li", { class: "tile-item" }, [link]);
    }

    function nextUrl() {
      if (grid.dataset.after !== undefined) {
        return grid.dataset.after ? grid.dataset.api + "&after=" + grid.dataset.after : null;
      }
      const next = Number(grid.dataset.next);
      return next < Number(grid.dataset.total) ? grid.dataset.api + "&offset=" + next : null;
    }

    async function loadMore() {
      const url = nextUrl();
      if (!url || loading || pages >= MAX_PAGES) {
        return;
      }
      loading = true;
      try {
        const page = await getJSON(url);
        const images = page.tiles || page.images;
        grid.append(...images.map(tile));
        pages += 1;
        if (grid.dataset.after !== undefined) {
          grid.dataset.after = page.after || "";
        } else {
          grid.dataset.next = String(page.offset + images.length);
        }
        const status = document.getElementById("grid-status");
        if (status && page.total !== undefined && page.offset !== undefined) {
          status.textContent = "Showing 1–" + number(page.offset + images.length) + " of " + number(page.total) + ".";
        }
        if (!nextUrl() && more) {
          more.remove();
        } else if (more && grid.dataset.next) {
          const link = new URL(more.href);
          link.searchParams.set("offset", grid.dataset.next);
          more.href = link.toString();
        } else if (more && grid.dataset.after) {
          const link = new URL(more.href);
          link.searchParams.set("after", grid.dataset.after);
          more.href = link.toString();
        }
      } finally {
        loading = false;
      }
    }

    if (more && "IntersectionObserver" in window) {
      new IntersectionObserver((entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          loadMore();
        }
      }, { rootMargin: "400px" }).observe(more);
    }

    function columns(links) {
      const top = links[0].offsetTop;
      const first = links.findIndex((a) => a.offsetTop !== top);
      return first === -1 ? links.length : first;
    }

    grid.addEventListener("keydown", (event) => {
      const links = Array.from(grid.querySelectorAll("a.thumb"));
      const index = links.indexOf(document.activeElement);
      if (index === -1) {
        return;
      }
      const moves = {
        ArrowRight: index + 1,
        ArrowLeft: index - 1,
        ArrowDown: index + columns(links),
        ArrowUp: index - columns(links),
        Home: 0,
        End: links.length - 1,
      };
      if (event.key in moves) {
        event.preventDefault();
        const target = Math.max(0, Math.min(moves[event.key], links.length - 1));
        links[target].focus();
        if (target >= links.length - columns(links)) {
          loadMore();
        }
      }
    });
  }
})();
