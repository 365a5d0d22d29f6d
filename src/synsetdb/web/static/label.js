// Keyboard labelling for /label. The page works without this file: every image
// is a checkbox inside its label, and the button submits the form.
//   arrow keys  move the focus through the grid (Home / End: first / last image)
//   Space or X  select or unselect the focused image
//   Enter       submit the batch
"use strict";

(function () {
  const form = document.getElementById("batch");
  if (!form) {
    return;
  }
  const boxes = Array.from(form.querySelectorAll(".tile input[type=checkbox]"));
  const count = document.getElementById("count");
  let submitted = false;

  function columns() {
    // Tiles of the first row share its top edge; the grid reflows with the window.
    const top = boxes[0].parentElement.offsetTop;
    const first = boxes.findIndex((box) => box.parentElement.offsetTop !== top);
    return first === -1 ? boxes.length : first;
  }

  function show() {
    let selected = 0;
    for (const box of boxes) {
      box.parentElement.classList.toggle("selected", box.checked);
      selected += box.checked ? 1 : 0;
    }
    count.textContent = selected + " of " + boxes.length + " selected";
  }

  function focusAt(index) {
    boxes[Math.min(Math.max(index, 0), boxes.length - 1)].focus();
  }

  const moves = {
    ArrowRight: (i) => i + 1,
    ArrowLeft: (i) => i - 1,
    ArrowDown: (i) => i + columns(),
    ArrowUp: (i) => i - columns(),
    Home: () => 0,
    End: () => boxes.length - 1,
  };

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || boxes.length === 0) {
      return;
    }
    const focused = document.activeElement;
    const index = boxes.indexOf(focused);
    const inBatch = index !== -1 || focused === document.body || focused === null;
    if (event.key === "Enter" && (inBatch || form.contains(focused))) {
      event.preventDefault();
      if (!submitted) {
        submitted = true; // one POST per batch, however often Enter is pressed
        form.requestSubmit();
      }
    } else if (index !== -1 && (event.key === "x" || event.key === "X")) {
      event.preventDefault();
      boxes[index].checked = !boxes[index].checked;
      show();
    } else if (event.key in moves && inBatch) {
      event.preventDefault();
      focusAt(index === -1 ? 0 : moves[event.key](index));
    }
  });

  form.addEventListener("change", show);
  form.addEventListener("submit", () => {
    submitted = true;
  });
  show();
  if (boxes.length > 0) {
    boxes[0].focus({ preventScroll: true });
  }
})();
