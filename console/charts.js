// Small SVG sparklines, drawn with createElementNS: no chart library, no inline style.

const NS = "http://www.w3.org/2000/svg";

function svgEl(tag, attrs) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/**
 * A sparkline of `values` (numbers or null for "no sample") `width`×`height`, as an
 * <svg role="img"> whose accessible name is `label` (the chart is a picture of what the
 * text beside it says).
 */
export function sparkline(values, { width = 220, height = 48, label = "", max } = {}) {
  const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": label, class: "spark" });
  const title = svgEl("title", {});
  title.textContent = label;
  svg.append(title);
  const nums = values.filter((v) => typeof v === "number" && Number.isFinite(v));
  const top = Math.max(max ?? 0, ...nums, 1e-9);
  const n = Math.max(values.length, 2);
  const x = (i) => (i / (n - 1)) * (width - 2) + 1;
  const y = (v) => height - 2 - (v / top) * (height - 4);
  svg.append(svgEl("line", { x1: 0, x2: width, y1: height - 1, y2: height - 1, class: "axis" }));
  let d = "";
  let area = "";
  let pen = false;
  values.forEach((v, i) => {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      pen = false;
      return;
    }
    const p = `${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    d += `${pen ? "L" : "M"}${p} `;
    area += pen ? `L${p} ` : `M${x(i).toFixed(1)},${height - 1} L${p} `;
    pen = true;
    const next = values[i + 1];
    if (!(typeof next === "number" && Number.isFinite(next))) area += `L${x(i).toFixed(1)},${height - 1} Z `;
  });
  if (area) svg.append(svgEl("path", { d: area.trim(), class: "area" }));
  if (d) svg.append(svgEl("path", { d: d.trim(), class: "line" }));
  return svg;
}
