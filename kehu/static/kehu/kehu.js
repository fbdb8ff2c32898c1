// Row selection for bulk actions on the customer list. The server renders everything else.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (box.matches("[data-select-all]")) {
    document.querySelectorAll("[data-row-select]").forEach((row) => { row.checked = box.checked; });
  }
  if (box.matches("[data-select-all], [data-row-select]")) {
    const ids = [...document.querySelectorAll("[data-row-select]:checked")].map((row) => row.value);
    const field = document.querySelector("#bulk-ids");
    const count = document.querySelector("#bulk-count");
    if (field) field.value = ids.join(",");
    if (count) count.textContent = ids.length;
    const bar = document.querySelector("#bulk-bar");
    if (bar) bar.classList.toggle("d-none", ids.length === 0);
  }
});
