// The deal board: drag a card to another stage; the server records the move (or refuses it,
// and the card goes back). Losing a deal asks for the reason.
(function () {
  const error = document.getElementById("board-error");
  const token = document.querySelector("[name=csrfmiddlewaretoken]")?.value
    || JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  const lostPrompt = JSON.parse(document.getElementById("lost-prompt")?.textContent || '""');
  function fail(message, item, from, index) {
    from.insertBefore(item, from.children[index] || null);
    error.textContent = message;
    error.classList.remove("d-none");
  }
  document.querySelectorAll(".board-cards").forEach((column) => {
    Sortable.create(column, {
      group: "deals",
      draggable: ".board-card",
      animation: 120,
      onEnd(event) {
        if (event.from === event.to) return;
        const item = event.item;
        // the stage it was seen in: a card someone else moved meanwhile is refused, not moved
        const body = new URLSearchParams({ stage: event.to.dataset.stage, from: event.from.dataset.stage });
        if (event.to.dataset.kind === "lost") {
          const reason = window.prompt(lostPrompt);
          if (!reason) { fail(lostPrompt, item, event.from, event.oldIndex); return; }
          body.set("lost_reason", reason);
        }
        fetch(item.dataset.moveUrl, {
          method: "POST",
          headers: { "X-CSRFToken": token, Accept: "application/json" },
          body,
        }).then(async (response) => {
          if (!response.ok) {
            const data = await response.json().catch(() => ({}));
            fail(data.error || response.statusText, item, event.from, event.oldIndex);
          } else {
            error.classList.add("d-none");
          }
        });
      },
    });
  });
})();
