/*
 * Scanner flows that move stock: receive against an entry declaration, putaway, loan out,
 * loan return, count a bin.  Built on static/scanner.js (WmsScanner: the page-level scan
 * buffer, the error overlay, the queue of actions with device-made idempotency keys); the
 * pages are rendered by wms/web/scanner_stock.py.  No visible text here: every text comes
 * from the page's strings (S.t).
 */
(function () {
  "use strict";

  if (!window.WmsScanner) {
    return;
  }
  const { el, table, enc } = window.WmsScanner.util;

  // --- helpers ---------------------------------------------------------------------------

  // An item cell: the SKU over its lot, so that tables fit a 360 px screen.
  function itemCell(S, sku, lot) {
    return lot ? [sku, el("br"), S.t("lot_of", { lot })] : [sku];
  }

  function signed(S, n) {
    return n > 0 ? `+${S.num(n)}` : S.num(n);
  }

  // The choice buttons of a page (declarations, loans) act as a typed entry of their number.
  function choiceButtons(S) {
    for (const button of document.querySelectorAll("[data-choice]")) {
      button.addEventListener("click", () => S.dispatch(button.getAttribute("data-choice"), "typed"));
    }
  }

  async function readOrNull(S, code) {
    try {
      return await S.read(code);
    } catch (exc) {
      if (exc instanceof S.NetworkError) {
        return null;
      }
      throw exc;
    }
  }

  // What an item scan means: a GS1 lot label gives SKU, lot and expiry at once; a SKU or
  // GTIN gives the product, its lot to follow.
  async function readItem(S, code) {
    const reading = await S.read(code);
    if (!reading) {
      return { kind: "unknown" };
    }
    return {
      kind: reading.kind,
      sku: reading.sku,
      lot_number: reading.lot_number || null,
      expiry_date: reading.expiry_date || null,
      location: reading.location || null,
    };
  }

  // Codes worth asking the server about at the lot step: GS1 element strings (a lot label)
  // and GTIN-sized numbers (the item scanned again).  Anything else is a lot number as
  // printed on the goods; asking about it would only answer "unknown".
  function looksLikeLabel(code) {
    return /^\(\d{2}/.test(code) || /^\][A-Za-z]\d/.test(code) || code.includes("\x1d") || /^(\d{8}|\d{12,14}|\d{16,})$/.test(code);
  }

  // A lot scan after a product: a lot label of the same product, or the lot number itself
  // (a plain barcode, or typed).  Resolves to {lot_number, expiry_date} or {error}.
  async function readLot(S, code, sku, itemCode) {
    const text = code.trim();
    if (text === sku || text === itemCode) {
      return { error: S.t("lot_is_product") };
    }
    const reading = looksLikeLabel(text) ? await readOrNull(S, text) : null;
    if (reading && reading.kind === "lot") {
      if (reading.sku !== sku) {
        return { error: S.t("lot_wrong_item", { scanned: reading.sku, expected: sku }) };
      }
      return { lot_number: reading.lot_number, expiry_date: reading.expiry_date || null };
    }
    if (reading && reading.kind === "location") {
      return { error: S.t("lot_is_bin") };
    }
    if (reading && reading.kind === "product") {
      return { error: S.t("lot_is_product") };
    }
    return { lot_number: text, expiry_date: null };
  }

  function wrong(S, text, code) {
    return S.fail({ title: S.t("wrong_scan_title"), text, code });
  }

  function refused(S, label, error, code) {
    return S.fail({
      title: S.t("refused_title"),
      text: S.t("not_recorded", { what: label }),
      detail: (error && error.message) || "",
      code,
    });
  }

  // The − [n] + widget of a page (ids <prefix>-less, <prefix>-qty, <prefix>-more).
  function quantity(S, prefix, onChange) {
    const input = S.$(`${prefix}-qty`);
    const state = { value: 0, max: null };
    function set(n) {
      let v = Math.max(0, Number.isFinite(n) ? n : state.value);
      if (state.max !== null) {
        v = Math.min(state.max, v);
      }
      state.value = v;
      input.value = String(v);
      if (onChange) {
        onChange(v);
      }
    }
    S.$(`${prefix}-less`).addEventListener("click", () => set(state.value - 1));
    S.$(`${prefix}-more`).addEventListener("click", () => set(state.value + 1));
    input.addEventListener("change", () => set(Number.parseInt(input.value, 10)));
    input.addEventListener("input", () => {
      // While typing: follow the number on screen without rewriting the field.
      const n = Number.parseInt(input.value, 10);
      if (Number.isInteger(n) && n >= 0) {
        state.value = n;
        if (onChange) {
          onChange(n);
        }
      }
    });
    return {
      reset(n, max) {
        state.max = max === undefined ? null : max;
        set(n);
      },
      add(n) {
        set(state.value + n);
      },
      read() {
        // What is in the field now (a typed number may not have fired "change" yet); not
        // capped, so that the server says why too many cannot be taken.
        const n = Number(String(input.value).trim());
        if (!Number.isInteger(n) || n < 0) {
          return null;
        }
        state.value = n;
        return n;
      },
      get value() {
        return state.value;
      },
    };
  }

  // --- receive against an entry declaration ------------------------------------------------

  WmsScanner.flow("receive", (S) => {
    const number = S.config.declaration;
    const docks = S.config.docks || [];
    const form = S.$("receive-quantity");
    const expiry = S.$("receive-expiry");
    const confirm = S.$("receive-confirm");
    let declaration = null;
    let dock = docks.length === 1 ? docks[0] : null;
    let step = number ? "loading" : "declaration";
    let item = null; // {sku, lot_number, expiry_date, entries}
    const qty = form
      ? quantity(S, "receive", (n) => {
          confirm.textContent = S.t("receive_submit", { n: S.num(n) });
          if (step === "quantity") {
            S.$("scan-target").textContent = S.num(n);
          }
        })
      : null;

    function linesFor(sku) {
      return declaration.lines.filter((l) => l.sku === sku);
    }

    function outstanding(line) {
      return Math.max(line.declared_quantity - line.received_quantity, 0);
    }

    // The line a receipt goes to: the first of the product's lines with something to come.
    function lineFor(sku) {
      const lines = linesFor(sku);
      return lines.find((l) => outstanding(l) > 0) || lines[0];
    }

    function renderLines() {
      const rows = declaration.lines.map((l) => [
        [`${l.line_no} · ${l.sku}`],
        S.num(l.declared_quantity),
        S.num(l.received_quantity),
        S.num(outstanding(l)),
      ]);
      const headers = ["col_item", "col_declared", "col_received", "col_outstanding"].map((k) => S.t(k));
      const done = declaration.lines.every((l) => outstanding(l) === 0);
      const note = done ? [el("p", { className: "scan-note" }, S.t("all_received"))] : [];
      S.$("receive-table").replaceChildren(table(headers, rows, [1, 2, 3]), ...note);
    }

    function show() {
      if (form) {
        form.hidden = step !== "quantity";
      }
      const where = dock ? S.t("on_dock", { dock }) : "";
      if (step === "declaration") {
        S.next(S.t("choose_declaration"));
      } else if (step === "loading") {
        S.next(S.t("loading"));
      } else if (step === "dock") {
        S.next(S.t("scan_dock"), "", number);
      } else if (step === "item") {
        S.next(S.t("scan_item"), "", where);
      } else if (step === "lot") {
        S.next(S.t("scan_lot"), item.sku, where);
      } else if (step === "quantity") {
        const line = lineFor(item.sku);
        const detail = [S.t("lot_of", { lot: item.lot_number }), S.t("outstanding", { n: S.num(outstanding(line)), line: line.line_no })];
        S.next(S.t("receive_qty", { sku: item.sku }), S.num(qty.value), detail.join(" · "));
      }
    }

    async function load() {
      let data;
      try {
        data = await S.api("GET", `declarations/${enc(number)}`);
      } catch (exc) {
        if (exc instanceof S.ApiError && exc.status === 404) {
          await wrong(S, S.t("no_declaration", { number }), number);
          window.location.assign(S.config.receive_url);
          return;
        }
        if (exc instanceof S.NetworkError) {
          await S.fail({ title: S.t("network_title"), text: S.t("network_read") });
          setTimeout(load, 3000);
          return;
        }
        throw exc;
      }
      if (data.status !== "open") {
        await wrong(S, S.t("no_declaration", { number }), number);
        window.location.assign(S.config.receive_url);
        return;
      }
      declaration = data;
      renderLines();
      if (step === "loading") {
        step = dock ? "item" : "dock";
      }
      show();
    }

    function startQuantity() {
      step = "quantity";
      qty.reset(1);
      expiry.value = item.expiry_date || "";
      S.ok(`✓ ${item.sku} · ${S.t("lot_of", { lot: item.lot_number })}`);
      show();
    }

    function reset() {
      item = null;
      step = dock ? "item" : "dock";
      show();
    }

    async function onDock({ code }) {
      const reading = await S.read(code);
      if (reading && reading.kind === "location" && (!docks.length || docks.includes(reading.location))) {
        dock = reading.location;
        S.ok(`✓ ${dock}`);
        if (step === "dock") {
          step = "item";
        }
        show();
        return true;
      }
      return false;
    }

    async function onItem(scan) {
      const found = await readItem(S, scan.code);
      if (found.kind === "location") {
        if (!(await onDock(scan))) {
          await wrong(S, S.t("not_an_item"), scan.code);
        }
        return;
      }
      if (found.kind !== "lot" && found.kind !== "product") {
        await wrong(S, S.t("not_an_item"), scan.code);
        return;
      }
      if (!linesFor(found.sku).length) {
        await wrong(S, S.t("not_declared", { sku: found.sku, number }), scan.code);
        return;
      }
      item = { sku: found.sku, lot_number: found.lot_number, expiry_date: found.expiry_date, entries: [scan.entry], code: scan.code };
      if (found.kind === "lot") {
        startQuantity();
      } else {
        step = "lot";
        show();
      }
    }

    async function onLot(scan) {
      const lot = await readLot(S, scan.code, item.sku, item.code);
      if (lot.error) {
        await wrong(S, lot.error, scan.code);
        return;
      }
      item.lot_number = lot.lot_number;
      item.expiry_date = lot.expiry_date || item.expiry_date;
      item.entries.push(scan.entry);
      startQuantity();
    }

    async function submit() {
      const n = qty.read();
      if (!n) {
        await wrong(S, S.t("quantity_invalid"));
        return;
      }
      const current = item;
      const line = lineFor(current.sku);
      const body = {
        product_code: current.sku,
        lot_number: current.lot_number,
        quantity: n,
        dock_barcode: dock,
      };
      if (expiry.value) {
        body.expiry_date = expiry.value;
      }
      if (linesFor(current.sku).length > 1) {
        body.line_no = line.line_no;
      }
      const label = S.t("receive_label", { n: S.num(n), sku: current.sku, lot: current.lot_number, dock, number });
      confirm.disabled = true;
      try {
        const result = await S.submit({
          path: `declarations/${enc(number)}/receipts`,
          body,
          label,
          entry: S.entryOf(...current.entries),
          meta: { declaration: number },
        });
        if (result.outcome === "done") {
          S.ok(S.t("received", { n: S.num(n), sku: current.sku, lot: current.lot_number }));
        } else if (result.outcome === "pending") {
          S.ok(S.t("pending_queued"));
        } else if (result.error.code === "over_receipt") {
          const details = result.error.details || {};
          await S.fail({
            title: S.t("refused_title"),
            text: S.t("over_receipt", { line: line.line_no, declared: S.num(details.declared), received: S.num(details.received) }),
            detail: result.error.message || "",
          });
        } else {
          await refused(S, label, result.error);
        }
      } finally {
        confirm.disabled = false;
      }
      reset();
      load().catch(() => {});
    }

    if (form) {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        submit();
      });
      S.$("receive-cancel").addEventListener("click", reset);
    }
    choiceButtons(S);

    return {
      start() {
        show();
        if (number) {
          load();
        }
      },
      async onScan(scan) {
        if (step === "declaration") {
          try {
            await S.api("GET", `declarations/${enc(scan.code)}`);
          } catch (exc) {
            if (exc instanceof S.ApiError && exc.status === 404) {
              await wrong(S, S.t("no_declaration", { number: scan.code }), scan.code);
              return;
            }
            throw exc;
          }
          window.location.assign(`${S.config.receive_url}?declaration=${enc(scan.code)}`);
        } else if (step === "dock") {
          if (!(await onDock(scan))) {
            await wrong(S, S.t("not_a_dock"), scan.code);
          }
        } else if (step === "item") {
          await onItem(scan);
        } else if (step === "lot") {
          await onLot(scan);
        } else if (step === "quantity") {
          const found = await readItem(S, scan.code);
          if (found.kind === "lot" && found.sku === item.sku && found.lot_number === item.lot_number) {
            qty.add(1); // one more unit of the same lot, scanned
            return;
          }
          await wrong(S, S.t("confirm_first"), scan.code);
        }
      },
      onSettled(action) {
        if (declaration && action.meta && action.meta.declaration === number) {
          load().catch(() => {});
        }
      },
    };
  });

  // --- putaway -------------------------------------------------------------------------------

  WmsScanner.flow("putaway", (S) => {
    const panel = S.$("putaway-source");
    const qtyBox = S.$("putaway-quantity");
    let step = "source";
    let source = null;
    let sourceEntry = "scanned";
    let rows = [];
    let item = null; // {sku, lot_number, available, entries}
    const qty = quantity(S, "putaway", (n) => {
      if (step === "quantity") {
        S.$("scan-target").textContent = S.num(n);
      }
    });

    function available(row) {
      return row.quantity - (row.reserved || 0);
    }

    function render() {
      S.$("putaway-source-title").textContent = S.t("at_source", { location: source });
      const headers = ["col_item", "col_available"].map((k) => S.t(k));
      const body = rows.length
        ? table(headers, rows.map((r) => [itemCell(S, r.sku, r.lot_number), S.num(available(r))]), [1])
        : el("p", null, S.t("source_empty", { location: source }));
      S.$("putaway-stock").replaceChildren(body);
      panel.hidden = false;
    }

    function show() {
      qtyBox.hidden = step !== "quantity";
      if (step === "source") {
        S.next(S.t("scan_source"));
      } else if (step === "item") {
        S.next(S.t("scan_item"), "", S.t("at_source", { location: source }));
      } else if (step === "lot") {
        S.next(S.t("scan_lot"), item.sku, S.t("at_source", { location: source }));
      } else if (step === "quantity") {
        S.next(
          S.t("scan_destination"),
          S.num(qty.value),
          `${item.sku} · ${S.t("lot_of", { lot: item.lot_number })} · ${S.t("available", { n: S.num(item.available) })}`,
        );
      }
    }

    async function openSource(code, entry, quiet) {
      const stock = await S.api("GET", `stock?location=${enc(code)}`);
      source = code;
      sourceEntry = entry;
      rows = stock.rows.filter((r) => available(r) > 0);
      render();
      step = "item";
      if (!quiet) {
        S.ok(`✓ ${code}`);
      }
      show();
    }

    function rowFor(sku, lot) {
      return rows.find((r) => r.sku === sku && (lot === null || r.lot_number === lot));
    }

    function startQuantity(row, entries) {
      item = { sku: row.sku, lot_number: row.lot_number, available: available(row), entries };
      step = "quantity";
      qty.reset(item.available, item.available);
      S.ok(`✓ ${item.sku} · ${S.t("lot_of", { lot: item.lot_number })}`);
      show();
    }

    async function onItem(scan) {
      const found = await readItem(S, scan.code);
      if (found.kind === "location") {
        await openSource(found.location, scan.entry);
        return;
      }
      if (found.kind !== "lot" && found.kind !== "product") {
        await wrong(S, S.t("not_an_item"), scan.code);
        return;
      }
      const row = rowFor(found.sku, found.kind === "lot" ? found.lot_number : null);
      if (!row) {
        await wrong(S, S.t("not_here", { sku: found.sku, lot: found.lot_number || "", location: source }), scan.code);
        return;
      }
      if (found.kind === "lot") {
        startQuantity(row, [sourceEntry, scan.entry]);
      } else {
        item = { sku: found.sku, lot_number: null, available: 0, entries: [sourceEntry, scan.entry], code: scan.code };
        step = "lot";
        show();
      }
    }

    async function onLot(scan) {
      const lot = await readLot(S, scan.code, item.sku, item.code);
      if (lot.error) {
        await wrong(S, lot.error, scan.code);
        return;
      }
      const row = rowFor(item.sku, lot.lot_number);
      if (!row) {
        await wrong(S, S.t("not_here", { sku: item.sku, lot: lot.lot_number, location: source }), scan.code);
        return;
      }
      startQuantity(row, [...item.entries, scan.entry]);
    }

    async function onDestination(scan) {
      const reading = await S.read(scan.code);
      if (!reading || reading.kind !== "location") {
        await wrong(S, S.t("scan_destination"), scan.code);
        return;
      }
      if (reading.location === source) {
        await wrong(S, S.t("same_place"), scan.code);
        return;
      }
      const n = qty.read();
      if (!n) {
        await wrong(S, S.t("quantity_invalid"));
        return;
      }
      const current = item;
      const bin = reading.location;
      const names = { n: S.num(n), sku: current.sku, lot: current.lot_number, from: source, bin };
      const label = S.t("putaway_label", names);
      const result = await S.submit({
        path: "putaways",
        body: { product_code: current.sku, lot_number: current.lot_number, quantity: n, from_barcode: source, to_barcode: bin },
        label,
        entry: S.entryOf(...current.entries, scan.entry),
        meta: { source },
      });
      if (result.outcome === "done") {
        S.ok(S.t("put_away", names));
      } else if (result.outcome === "pending") {
        S.ok(S.t("pending_queued"));
      } else {
        await refused(S, label, result.error, scan.code);
      }
      item = null;
      step = "item";
      show();
      await openSource(source, sourceEntry, true).catch(() => {});
    }

    S.$("putaway-cancel").addEventListener("click", () => {
      item = null;
      step = source ? "item" : "source";
      show();
    });
    S.$("putaway-other").addEventListener("click", () => {
      source = null;
      item = null;
      panel.hidden = true;
      step = "source";
      show();
    });

    return {
      start() {
        show();
      },
      async onScan(scan) {
        if (step === "source") {
          const reading = await S.read(scan.code);
          if (!reading || reading.kind !== "location") {
            await wrong(S, S.t("not_a_location"), scan.code);
            return;
          }
          await openSource(reading.location, scan.entry);
        } else if (step === "item") {
          await onItem(scan);
        } else if (step === "lot") {
          await onLot(scan);
        } else if (step === "quantity") {
          await onDestination(scan);
        }
      },
      onSettled(action) {
        if (source && action.meta && action.meta.source === source && step !== "quantity") {
          openSource(source, sourceEntry, true).catch(() => {});
        }
      },
    };
  });

  // --- display loans: shared by loan out and loan return ------------------------------------

  function loanFlow(S) {
    const dateFormat = new Intl.DateTimeFormat(document.documentElement.lang || "en", { dateStyle: "medium", timeZone: "UTC" });
    const info = S.$("loan-info");
    const chooser = S.$("loan-choose");
    const state = { loan: null };

    async function open(code) {
      try {
        state.loan = await S.api("GET", `loans/${enc(code)}`);
      } catch (exc) {
        if (exc instanceof S.ApiError && exc.status === 404) {
          await wrong(S, S.t("no_loan", { number: code }), code);
          return null;
        }
        throw exc;
      }
      return state.loan;
    }

    function describe(columns) {
      const loan = state.loan;
      const due = dateFormat.format(new Date(`${loan.due_date}T00:00:00Z`));
      S.$("loan-title").textContent = `${S.t("loan_is", { number: loan.number, showroom: loan.showroom })} · ${S.t("due", { date: due })}`;
      const headers = columns.map(([key]) => S.t(key));
      const rows = loan.items.map((i) => columns.map(([, cell]) => cell(i)));
      S.$("loan-items").replaceChildren(table(headers, rows, columns.map((c, i) => (c[2] ? i : -1)).filter((i) => i >= 0)));
      info.hidden = false;
      if (chooser) {
        chooser.hidden = true;
      }
    }

    function leave() {
      state.loan = null;
      info.hidden = true;
      if (chooser) {
        chooser.hidden = false;
      }
    }

    function itemsOf(sku, lot) {
      return state.loan.items.filter((i) => i.sku === sku && (lot === null || i.lot_number === lot));
    }

    choiceButtons(S);
    return { state, open, describe, leave, itemsOf };
  }

  // --- loan out --------------------------------------------------------------------------------

  WmsScanner.flow("loan_out", (S) => {
    const L = loanFlow(S);
    const form = S.$("loan-quantity");
    const confirm = S.$("loan-confirm");
    let step = "loan";
    let bin = null;
    let binEntry = "scanned";
    let item = null; // {sku, lot_number, left, entries}
    let bins = []; // where the next item is
    const qty = quantity(S, "loan", (n) => {
      confirm.textContent = S.t("out_submit", { n: S.num(n) });
      if (step === "quantity") {
        S.$("scan-target").textContent = S.num(n);
      }
    });
    const toGo = (i) => i.quantity - i.out;
    const columns = [
      ["col_item", (i) => itemCell(S, i.sku, i.lot_number)],
      ["col_qty", (i) => S.num(i.quantity), true],
      ["col_out", (i) => S.num(i.out), true],
      ["col_to_go", (i) => S.num(toGo(i)), true],
    ];

    // The bonded bins holding free units of the next item to go out.
    async function whereIs(next) {
      try {
        const stock = await S.api("GET", `stock?sku=${enc(next.sku)}&lot=${enc(next.lot_number)}&bonded=true&sellable=true`);
        return stock.rows.filter((r) => r.quantity - (r.reserved || 0) > 0).map((r) => r.location);
      } catch (exc) {
        if (exc instanceof S.NetworkError) {
          return [];
        }
        throw exc;
      }
    }

    async function show() {
      form.hidden = step !== "quantity";
      const loan = L.state.loan;
      if (step === "loan") {
        S.next(S.t("choose_loan"));
      } else if (step === "done") {
        S.next(S.t("all_out", { number: loan.number }));
      } else if (step === "bin") {
        const next = loan.items.find((i) => toGo(i) > 0);
        const what = `${S.num(toGo(next))} · ${next.sku} · ${S.t("lot_of", { lot: next.lot_number })}`;
        if (bins.length) {
          const others = bins.length > 1 ? ` · ${S.t("found_in", { bins: bins.slice(1).join(", ") })}` : "";
          S.next(S.t("go_to_bin"), bins[0], what + others);
        } else {
          S.next(S.t("go_to_bin"), next.sku, `${what} · ${S.t("nowhere")}`);
        }
      } else if (step === "item") {
        S.next(S.t("scan_item"), "", S.t("from_bin", { bin }));
      } else if (step === "lot") {
        S.next(S.t("scan_lot"), item.sku, S.t("from_bin", { bin }));
      } else if (step === "quantity") {
        S.next(S.t("out_submit", { n: S.num(qty.value) }), S.num(qty.value), `${item.sku} · ${S.t("lot_of", { lot: item.lot_number })} · ${S.t("from_bin", { bin })}`);
      }
    }

    async function refresh() {
      const loan = await L.open(L.state.loan.number);
      if (!loan) {
        return;
      }
      L.describe(columns);
      if (!loan.items.some((i) => toGo(i) > 0)) {
        step = "done";
      } else if (step === "done" || step === "loan") {
        step = bin ? "item" : "bin";
      }
      const next = loan.items.find((i) => toGo(i) > 0);
      bins = next ? await whereIs(next) : [];
    }

    async function onLoan(scan) {
      const loan = await L.open(scan.code);
      if (!loan) {
        return;
      }
      if (loan.status !== "approved") {
        await wrong(
          S,
          loan.status === "out" ? S.t("all_out", { number: loan.number }) : S.t("not_approved", { number: loan.number, status: loan.status }),
          scan.code,
        );
        L.leave();
        return;
      }
      bin = null;
      step = "bin";
      S.ok(`✓ ${loan.number}`);
      await refresh();
    }

    function startQuantity(found, entries) {
      item = { sku: found.sku, lot_number: found.lot_number, left: toGo(found), entries };
      step = "quantity";
      qty.reset(item.left, item.left);
      S.ok(`✓ ${item.sku} · ${S.t("lot_of", { lot: item.lot_number })}`);
    }

    function pick(sku, lot, code) {
      const items = L.itemsOf(sku, lot);
      if (!items.length) {
        return { error: S.t("not_on_loan", { number: L.state.loan.number, sku, lot: lot || "" }) };
      }
      const open = items.find((i) => toGo(i) > 0);
      if (!open) {
        return { error: S.t("nothing_left", { sku, lot: lot || items[0].lot_number }), code };
      }
      return { item: open };
    }

    async function onItem(scan) {
      const found = await readItem(S, scan.code);
      if (found.kind === "location") {
        bin = found.location;
        binEntry = scan.entry;
        S.ok(`✓ ${bin}`);
        step = "item";
        return;
      }
      if (found.kind !== "lot" && found.kind !== "product") {
        await wrong(S, S.t("not_an_item"), scan.code);
        return;
      }
      const chosen = pick(found.sku, found.kind === "lot" ? found.lot_number : null, scan.code);
      if (chosen.error) {
        await wrong(S, chosen.error, scan.code);
        return;
      }
      if (found.kind === "lot") {
        startQuantity(chosen.item, [binEntry, scan.entry]);
      } else {
        item = { sku: found.sku, lot_number: null, left: 0, entries: [binEntry, scan.entry], code: scan.code };
        step = "lot";
      }
    }

    async function onLot(scan) {
      const lot = await readLot(S, scan.code, item.sku, item.code);
      if (lot.error) {
        await wrong(S, lot.error, scan.code);
        return;
      }
      const chosen = pick(item.sku, lot.lot_number, scan.code);
      if (chosen.error) {
        await wrong(S, chosen.error, scan.code);
        return;
      }
      startQuantity(chosen.item, [...item.entries, scan.entry]);
    }

    async function submit() {
      const n = qty.read();
      if (!n) {
        await wrong(S, S.t("quantity_invalid"));
        return;
      }
      const current = item;
      const number = L.state.loan.number;
      const names = { n: S.num(n), sku: current.sku, lot: current.lot_number, bin, number };
      const label = S.t("out_label", names);
      confirm.disabled = true;
      try {
        const result = await S.submit({
          path: `loans/${enc(number)}/out`,
          body: { product_code: current.sku, lot_number: current.lot_number, quantity: n, from_barcode: bin },
          label,
          entry: S.entryOf(...current.entries),
          meta: { loan: number },
        });
        if (result.outcome === "done") {
          S.ok(S.t("sent_out", names));
        } else if (result.outcome === "pending") {
          S.ok(S.t("pending_queued"));
        } else {
          await refused(S, label, result.error);
        }
      } finally {
        confirm.disabled = false;
      }
      item = null;
      step = "item";
      await refresh().catch(() => {});
      await show();
    }

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit();
    });
    S.$("loan-cancel").addEventListener("click", () => {
      item = null;
      step = bin ? "item" : "bin";
      show();
    });
    S.$("loan-other").addEventListener("click", () => {
      L.leave();
      bin = null;
      item = null;
      step = "loan";
      show();
    });

    return {
      start() {
        show();
      },
      async onScan(scan) {
        if (step === "loan" || step === "done") {
          await onLoan(scan);
        } else if (step === "bin") {
          const reading = await S.read(scan.code);
          if (!reading || reading.kind !== "location") {
            await wrong(S, S.t("scan_bin"), scan.code);
            return;
          }
          bin = reading.location;
          binEntry = scan.entry;
          step = "item";
          S.ok(`✓ ${bin}`);
        } else if (step === "item") {
          await onItem(scan);
        } else if (step === "lot") {
          await onLot(scan);
        } else if (step === "quantity") {
          await wrong(S, S.t("confirm_first"), scan.code);
        }
        await show();
      },
      onSettled(action) {
        if (L.state.loan && action.meta && action.meta.loan === L.state.loan.number && step !== "quantity") {
          refresh()
            .then(show)
            .catch(() => {});
        }
      },
    };
  });

  // --- loan return -----------------------------------------------------------------------------

  WmsScanner.flow("loan_return", (S) => {
    const L = loanFlow(S);
    const form = S.$("loan-quantity");
    const note = S.$("loan-note");
    const buttons = ["loan-good", "loan-damaged", "loan-missing"].map((id) => S.$(id));
    let step = "loan";
    let item = null; // {sku, lot_number, on_display, entries}
    const qty = quantity(S, "loan", (n) => {
      if (step === "quantity") {
        S.$("scan-target").textContent = S.num(n);
      }
    });
    const columns = [
      ["col_item", (i) => itemCell(S, i.sku, i.lot_number)],
      ["col_out", (i) => S.num(i.out), true],
      ["col_on_display", (i) => S.num(i.on_display), true],
    ];
    const money = new Intl.NumberFormat(document.documentElement.lang || "en", { style: "currency", currency: "CNY" });

    function show() {
      form.hidden = step !== "quantity";
      const loan = L.state.loan;
      if (step === "loan") {
        S.next(S.t("choose_loan"));
      } else if (step === "done") {
        S.next(S.t("all_back", { number: loan.number }));
      } else if (step === "item") {
        S.next(S.t("scan_item"), "", S.t("loan_is", { number: loan.number, showroom: loan.showroom }));
      } else if (step === "lot") {
        S.next(S.t("scan_lot"), item.sku, "");
      } else if (step === "quantity") {
        S.next(S.t("return_qty", { sku: item.sku }), S.num(qty.value), S.t("lot_of", { lot: item.lot_number }));
      } else if (step === "bin") {
        S.next(S.t("scan_return_bin"), S.num(qty.value), `${item.sku} · ${S.t("lot_of", { lot: item.lot_number })}`);
      }
    }

    async function refresh() {
      const loan = await L.open(L.state.loan.number);
      if (!loan) {
        return;
      }
      L.describe(columns);
      step = loan.items.some((i) => i.on_display > 0) ? "item" : "done";
    }

    async function onLoan(scan) {
      const loan = await L.open(scan.code);
      if (!loan) {
        return;
      }
      if (!loan.items.some((i) => i.on_display > 0)) {
        await wrong(S, S.t("nothing_on_display", { number: loan.number }), scan.code);
        L.leave();
        return;
      }
      S.ok(`✓ ${loan.number}`);
      await refresh();
    }

    function choose(sku, lot) {
      const items = L.itemsOf(sku, lot);
      if (!items.length) {
        return { error: S.t("not_on_loan", { number: L.state.loan.number, sku, lot: lot || "" }) };
      }
      const shown = items.find((i) => i.on_display > 0);
      if (!shown) {
        return { error: S.t("not_displayed", { sku, lot: lot || items[0].lot_number }) };
      }
      return { item: shown };
    }

    function startQuantity(found, entries) {
      item = { sku: found.sku, lot_number: found.lot_number, on_display: found.on_display, entries };
      step = "quantity";
      note.value = "";
      qty.reset(found.on_display, found.on_display);
      S.ok(`✓ ${item.sku} · ${S.t("lot_of", { lot: item.lot_number })}`);
    }

    async function onItem(scan) {
      const found = await readItem(S, scan.code);
      if (found.kind !== "lot" && found.kind !== "product") {
        await wrong(S, S.t("not_an_item"), scan.code);
        return;
      }
      const chosen = choose(found.sku, found.kind === "lot" ? found.lot_number : null);
      if (chosen.error) {
        await wrong(S, chosen.error, scan.code);
        return;
      }
      if (found.kind === "lot") {
        startQuantity(chosen.item, [scan.entry]);
      } else {
        item = { sku: found.sku, lot_number: null, on_display: 0, entries: [scan.entry], code: scan.code };
        step = "lot";
      }
    }

    async function onLot(scan) {
      const lot = await readLot(S, scan.code, item.sku, item.code);
      if (lot.error) {
        await wrong(S, lot.error, scan.code);
        return;
      }
      const chosen = choose(item.sku, lot.lot_number);
      if (chosen.error) {
        await wrong(S, chosen.error, scan.code);
        return;
      }
      startQuantity(chosen.item, [...item.entries, scan.entry]);
    }

    async function submit(condition, bin, binEntry) {
      const n = qty.read();
      if (!n) {
        await wrong(S, S.t("quantity_invalid"));
        return;
      }
      const current = item;
      const number = L.state.loan.number;
      const names = { n: S.num(n), sku: current.sku, lot: current.lot_number, bin, number, condition };
      const label = condition === "good" ? S.t("return_label", names) : S.t("write_off_label", names);
      const body = { product_code: current.sku, lot_number: current.lot_number, quantity: n, condition };
      if (bin) {
        body.to_barcode = bin;
      }
      if (note.value.trim()) {
        body.note = note.value.trim();
      }
      buttons.forEach((b) => {
        b.disabled = true;
      });
      try {
        const result = await S.submit({
          path: `loans/${enc(number)}/returns`,
          body,
          label,
          entry: S.entryOf(...current.entries, binEntry || "scanned"),
          meta: { loan: number },
        });
        if (result.outcome === "done") {
          const duty = money.format(Number(result.data.duty_payable || 0));
          S.ok(condition === "good" ? S.t("returned", names) : S.t("written_off", { ...names, duty }));
        } else if (result.outcome === "pending") {
          S.ok(S.t("pending_queued"));
        } else {
          await refused(S, label, result.error);
        }
      } finally {
        buttons.forEach((b) => {
          b.disabled = false;
        });
      }
      item = null;
      step = "item";
      await refresh().catch(() => {});
      show();
    }

    S.$("loan-good").addEventListener("click", () => {
      if (qty.read()) {
        step = "bin";
        show();
      } else {
        wrong(S, S.t("quantity_invalid"));
      }
    });
    S.$("loan-damaged").addEventListener("click", () => submit("damaged", null, null));
    S.$("loan-missing").addEventListener("click", () => submit("missing", null, null));
    form.addEventListener("submit", (event) => event.preventDefault());
    S.$("loan-cancel").addEventListener("click", () => {
      item = null;
      step = "item";
      show();
    });
    S.$("loan-other").addEventListener("click", () => {
      L.leave();
      item = null;
      step = "loan";
      show();
    });

    return {
      start() {
        show();
      },
      async onScan(scan) {
        if (step === "loan" || step === "done") {
          await onLoan(scan);
        } else if (step === "item") {
          await onItem(scan);
        } else if (step === "lot") {
          await onLot(scan);
        } else if (step === "quantity") {
          await wrong(S, S.t("confirm_first"), scan.code);
        } else if (step === "bin") {
          const reading = await S.read(scan.code);
          if (!reading || reading.kind !== "location") {
            await wrong(S, S.t("scan_return_bin"), scan.code);
            return;
          }
          await submit("good", reading.location, scan.entry);
          return;
        }
        show();
      },
      onSettled(action) {
        if (L.state.loan && action.meta && action.meta.loan === L.state.loan.number && step === "item") {
          refresh()
            .then(show)
            .catch(() => {});
        }
      },
    };
  });

  // --- count a bin -----------------------------------------------------------------------------

  WmsScanner.flow("count", (S) => {
    const sheetBox = S.$("count-sheet");
    const resultBox = S.$("count-result");
    const list = S.$("count-lines");
    const submitBtn = S.$("count-submit");
    let step = "bin";
    let bin = null;
    let binEntry = "scanned";
    let sheet = null;
    let lines = []; // {sku, lot_number, quantity, entry}
    let pendingSku = null; // a product scanned, its lot to follow
    let pendingEntry = "scanned";
    let pendingCode = null;
    let lineIds = 0;

    function units() {
      return lines.reduce((sum, l) => sum + l.quantity, 0);
    }

    function show() {
      sheetBox.hidden = step === "bin" || step === "done";
      resultBox.hidden = step !== "done";
      submitBtn.textContent = lines.length ? S.t("submit") : S.t("submit_empty");
      if (step === "bin") {
        S.next(S.t("scan_bin"));
      } else if (step === "loading") {
        S.next(S.t("loading_bin"));
      } else if (step === "items") {
        S.next(S.t("scan_items"), S.num(units()), `${S.t("lines_counted", { n: S.num(units()) })} · ${bin}`);
      } else if (step === "lot") {
        S.next(S.t("scan_lot"), pendingSku, S.t("counting", { bin }));
      }
    }

    function renderLines() {
      list.replaceChildren(
        ...lines.map((line) => {
          const id = line.id;
          const what = { sku: line.sku, lot: line.lot_number };
          const input = el("input", {
            id: `count-qty-${id}`,
            className: "scan-qty-value",
            type: "number",
            inputMode: "numeric",
            min: "0",
            step: "1",
            autocomplete: "off",
            value: String(line.quantity),
          });
          const set = (n) => {
            line.quantity = Math.max(0, Number.isInteger(n) ? n : line.quantity);
            input.value = String(line.quantity);
            show();
          };
          input.addEventListener("change", () => set(Number.parseInt(input.value, 10)));
          const less = el("button", { type: "button", className: "scan-button scan-step-button" }, "−");
          const more = el("button", { type: "button", className: "scan-button scan-step-button" }, "+");
          less.setAttribute("aria-label", S.t("less"));
          more.setAttribute("aria-label", S.t("more"));
          less.addEventListener("click", () => set(line.quantity - 1));
          more.addEventListener("click", () => set(line.quantity + 1));
          const remove = el("button", { type: "button", className: "scan-button" }, S.t("remove"));
          remove.setAttribute("aria-label", S.t("remove_line", what));
          remove.addEventListener("click", () => {
            lines = lines.filter((l) => l !== line);
            renderLines();
            show();
          });
          const label = el("label", { htmlFor: `count-qty-${id}`, className: "visually-hidden" }, S.t("count_of", what));
          return el(
            "li",
            { className: "scan-panel" },
            el("p", { className: "scan-choice-main" }, `${line.sku} · ${S.t("lot_of", { lot: line.lot_number })}`),
            el("div", { className: "scan-qty" }, less, label, input, more),
            remove,
          );
        }),
      );
    }

    function renderExpected() {
      const box = S.$("count-expected");
      if (!box || !sheet.expected) {
        return;
      }
      const headers = ["col_item", "col_expected"].map((k) => S.t(k));
      box.replaceChildren(
        el("h3", null, S.t("expected_title")),
        table(headers, sheet.expected.map((e) => [itemCell(S, e.sku, e.lot_number), S.num(e.quantity)]), [1]),
      );
    }

    function reset() {
      step = "bin";
      bin = sheet = pendingSku = null;
      lines = [];
      renderLines();
      show();
    }

    async function openBin(scan) {
      const reading = await S.read(scan.code);
      if (!reading || reading.kind !== "location") {
        await wrong(S, S.t("not_a_location"), scan.code);
        return;
      }
      step = "loading";
      show();
      try {
        sheet = await S.api("GET", `count-sheets/${enc(reading.location)}?blind=${S.config.blind ? "true" : "false"}`);
      } catch (exc) {
        step = "bin";
        show();
        if (exc instanceof S.ApiError && exc.status === 422) {
          await wrong(S, S.t("only_bins"), scan.code);
          return;
        }
        throw exc;
      }
      bin = sheet.location;
      binEntry = scan.entry;
      lines = [];
      step = "items";
      S.$("count-sheet-title").textContent = S.t("counting", { bin });
      renderExpected();
      renderLines();
      S.ok(`✓ ${bin}`);
      show();
    }

    function addUnit(sku, lot, entry) {
      let line = lines.find((l) => l.sku === sku && l.lot_number === lot);
      if (line) {
        line.quantity += 1;
        line.entry = S.entryOf(line.entry, entry);
      } else {
        lineIds += 1;
        line = { id: lineIds, sku, lot_number: lot, quantity: 1, entry };
        lines.push(line);
      }
      step = "items";
      pendingSku = null;
      renderLines();
      S.ok(`✓ ${sku} · ${S.t("lot_of", { lot })} · ${S.num(line.quantity)}`);
      show();
    }

    async function onItem(scan) {
      const found = await readItem(S, scan.code);
      if (found.kind === "location") {
        if (found.location !== bin) {
          await wrong(S, S.t("finish_first", { bin }), scan.code);
        }
        return;
      }
      if (found.kind === "lot") {
        addUnit(found.sku, found.lot_number, scan.entry);
      } else if (found.kind === "product") {
        pendingSku = found.sku;
        pendingEntry = scan.entry;
        pendingCode = scan.code;
        step = "lot";
        show();
      } else {
        await wrong(S, S.t("not_an_item"), scan.code);
      }
    }

    async function onLot(scan) {
      const lot = await readLot(S, scan.code, pendingSku, pendingCode);
      if (lot.error) {
        await wrong(S, lot.error, scan.code);
        return;
      }
      addUnit(pendingSku, lot.lot_number, S.entryOf(pendingEntry, scan.entry));
    }

    function showResult(data) {
      const diffs = data.differences || [];
      const summary = diffs.length ? S.t("differences", { n: S.num(diffs.length) }) : S.t("no_differences");
      S.$("count-result-title").textContent = S.t("count_done", { bin: data.location });
      S.$("count-result-summary").textContent = summary;
      // A list rather than a table: one sentence a line fits any phone.
      S.$("count-result-table").replaceChildren(
        el(
          "ul",
          { className: "scan-items" },
          ...diffs.map((d) =>
            el(
              "li",
              null,
              S.t("difference_line", {
                sku: d.sku,
                lot: d.lot_number,
                counted: S.num(d.counted),
                expected: S.num(d.expected),
                difference: signed(S, d.difference),
              }),
            ),
          ),
        ),
      );
      step = "done";
      show();
      S.ok(summary);
      S.next(S.t("count_done", { bin: data.location }), data.location, summary);
    }

    async function submit() {
      for (const line of lines) {
        const input = S.$(`count-qty-${line.id}`);
        const n = Number(String(input.value).trim());
        if (!Number.isInteger(n) || n < 0) {
          await wrong(S, S.t("quantity_invalid"));
          input.focus();
          return;
        }
        line.quantity = n;
      }
      const counted = bin;
      const label = S.t("count_label", { bin: counted, n: S.num(lines.length) });
      submitBtn.disabled = true;
      let result;
      try {
        result = await S.submit({
          path: "counts",
          body: {
            location: counted,
            lines: lines.map((l) => ({ sku: l.sku, lot: l.lot_number, quantity: l.quantity })),
            complete: true,
            since_move_id: sheet.since_move_id,
          },
          label,
          entry: S.entryOf(binEntry, ...lines.map((l) => l.entry)),
          meta: { location: counted },
        });
      } finally {
        submitBtn.disabled = false;
      }
      if (result.outcome === "done") {
        lines = [];
        renderLines();
        showResult(result.data);
        return;
      }
      if (result.outcome === "pending") {
        S.ok(S.t("pending_queued"));
        reset();
        return;
      }
      const error = result.error || {};
      if (error.field === "since_move_id") {
        await S.fail({ title: S.t("refused_title"), text: S.t("stale", { bin: counted }), detail: error.message || "" });
        // Read the bin again; what was counted stays on screen to be checked.
        sheet = await S.api("GET", `count-sheets/${enc(counted)}?blind=${S.config.blind ? "true" : "false"}`);
        renderExpected();
        return;
      }
      const details = error.details || {};
      if (details.reserved !== undefined) {
        await S.fail({
          title: S.t("refused_title"),
          text: S.t("below_reserved", { sku: details.sku, lot: details.lot, reserved: S.num(details.reserved) }),
          detail: error.message || "",
        });
        return;
      }
      await refused(S, label, error);
    }

    submitBtn.addEventListener("click", submit);
    S.$("count-restart").addEventListener("click", reset);
    S.$("count-next").addEventListener("click", reset);

    return {
      start() {
        show();
      },
      async onScan(scan) {
        if (step === "bin" || step === "done") {
          await openBin(scan);
        } else if (step === "items") {
          await onItem(scan);
        } else if (step === "lot") {
          await onLot(scan);
        }
      },
      onSettled(action, outcome) {
        if (outcome.outcome === "done" && action.path === "counts" && step === "bin") {
          showResult(outcome.data);
        }
      },
    };
  });
})();
