import type { Quote } from "./api.ts";

/**
 * The live quote board: one row per symbol, sorted, the changed row flashing and its last price
 * coloured by direction. Clicking a row selects the symbol.
 */
export function createBoard(
  body: HTMLTableSectionElement,
  empty: HTMLElement,
  onSelect: (symbol: string) => void,
) {
  const rows = new Map<string, HTMLTableRowElement>();
  const prices = new Map<string, number>();
  let selected: string | undefined;

  function row(symbol: string) {
    let tr = rows.get(symbol);
    if (tr) return tr;
    tr = document.createElement("tr");
    tr.dataset.symbol = symbol;
    for (const name of ["symbol", "price", "bid", "ask", "size", "kind", "time"]) {
      const td = document.createElement("td");
      td.className = name;
      tr.append(td);
    }
    tr.addEventListener("click", () => onSelect(symbol));
    rows.set(symbol, tr);
    const after = [...rows.keys()].sort().find((other) => other > symbol);
    body.insertBefore(tr, after ? (rows.get(after) ?? null) : null);
    empty.hidden = true;
    if (symbol === selected) tr.classList.add("selected");
    return tr;
  }

  return {
    update(quote: Quote) {
      const tr = row(quote.symbol);
      const cells = tr.children as HTMLCollectionOf<HTMLTableCellElement>;
      const price = Number(quote.price);
      const before = prices.get(quote.symbol);
      prices.set(quote.symbol, price);
      const values = [
        quote.symbol,
        quote.price,
        quote.bid ?? "",
        quote.ask ?? "",
        String(quote.size),
        quote.kind,
        quote.eventTime.slice(11, 23),
      ];
      values.forEach((value, i) => {
        const cell = cells[i];
        if (cell) cell.textContent = value;
      });
      const priceCell = cells[1];
      if (priceCell && before !== undefined && price !== before) {
        priceCell.classList.toggle("up", price > before);
        priceCell.classList.toggle("down", price < before);
      }
      tr.dataset.eventTime = quote.eventTime;
      tr.title = `${quote.symbol} from ${quote.source} at ${quote.eventTime}`;
      tr.classList.remove("flash");
      void tr.offsetWidth;
      tr.classList.add("flash");
    },
    select(symbol: string) {
      selected = symbol;
      for (const [name, tr] of rows) tr.classList.toggle("selected", name === symbol);
    },
    symbols: () => [...rows.keys()],
  };
}
