import Foundation

/// Charts drawn on the server as inline SVG: no script, they print, and they carry their figures as text for
/// screen readers (`<title>` per mark) and for anyone who copies the page.
enum Charts {
    struct Bar {
        var label: String
        /// 0…1 for rates.
        var value: Double
        /// What the bar's end says, e.g. "82.5%（165/200）".
        var note: String
    }

    /// Horizontal bars, one per row, scaled to `maximum`.
    static func bars(_ bars: [Bar], title: String, id: String, maximum: Double = 1) -> String {
        let rowHeight = 26.0, labelWidth = 230.0, barWidth = 380.0, noteWidth = 150.0
        let height = Double(bars.count) * rowHeight + 34
        let width = labelWidth + barWidth + noteWidth
        var svg = "<svg class=\"chart\" id=\"\(esc(id))\" role=\"img\" aria-label=\"\(esc(title))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" style=\"max-width:\(Int(width))px\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += "<title>\(esc(title))</title>"
        svg += "<text x=\"0\" y=\"16\" font-size=\"14\" font-weight=\"bold\">\(esc(title))</text>"
        for tick in stride(from: 0.0, through: 1.0, by: 0.25) {
            let x = labelWidth + tick * barWidth
            svg += "<line x1=\"\(fmt(x))\" y1=\"24\" x2=\"\(fmt(x))\" y2=\"\(fmt(height - 4))\" stroke=\"#ddd\"/>"
        }
        for (i, bar) in bars.enumerated() {
            let y = 28 + Double(i) * rowHeight
            let w = maximum > 0 ? max(0, min(1, bar.value / maximum)) * barWidth : 0
            svg += "<g class=\"bar\"><title>\(esc(bar.label))：\(esc(bar.note))</title>"
            svg += "<text x=\"\(fmt(labelWidth - 8))\" y=\"\(fmt(y + 15))\" font-size=\"12\" text-anchor=\"end\">\(esc(truncated(bar.label, 18)))</text>"
            svg += "<rect x=\"\(fmt(labelWidth))\" y=\"\(fmt(y + 3))\" width=\"\(fmt(w))\" height=\"\(fmt(rowHeight - 8))\" fill=\"#2f6fb0\"/>"
            svg += "<text x=\"\(fmt(labelWidth + w + 6))\" y=\"\(fmt(y + 15))\" font-size=\"12\">\(esc(bar.note))</text></g>"
        }
        return svg + "</svg>"
    }

    struct Point {
        var label: String
        var value: Double
        var note: String
    }

    /// A line over ordered points (a trend), values 0…`maximum`.
    static func line(_ points: [Point], title: String, id: String, maximum: Double = 1) -> String {
        let width = 760.0, height = 240.0, left = 44.0, right = 16.0, top = 30.0, bottom = 40.0
        let plotW = width - left - right, plotH = height - top - bottom
        var svg = "<svg class=\"chart\" id=\"\(esc(id))\" role=\"img\" aria-label=\"\(esc(title))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" style=\"max-width:\(Int(width))px\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += "<title>\(esc(title))</title><text x=\"0\" y=\"16\" font-size=\"14\" font-weight=\"bold\">\(esc(title))</text>"
        for tick in stride(from: 0.0, through: 1.0, by: 0.25) {
            let y = top + plotH * (1 - tick)
            svg += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(y))\" x2=\"\(fmt(width - right))\" y2=\"\(fmt(y))\" stroke=\"#ddd\"/>"
            svg += "<text x=\"\(fmt(left - 6))\" y=\"\(fmt(y + 4))\" font-size=\"11\" text-anchor=\"end\">\(Int((tick * maximum * 100).rounded()))%</text>"
        }
        let step = points.count > 1 ? plotW / Double(points.count - 1) : 0
        let xy = points.enumerated().map { (i, p) in
            (points.count > 1 ? left + Double(i) * step : left + plotW / 2, top + plotH * (1 - (maximum > 0 ? max(0, min(1, p.value / maximum)) : 0)))
        }
        if xy.count > 1 {
            svg += "<polyline fill=\"none\" stroke=\"#2f6fb0\" stroke-width=\"2\" points=\"\(xy.map { "\(fmt($0.0)),\(fmt($0.1))" }.joined(separator: " "))\"/>"
        }
        let labelEvery = max(1, points.count / 12)
        for (i, (p, (x, y))) in zip(points, xy).enumerated() {
            svg += "<g class=\"point\"><title>\(esc(p.label))：\(esc(p.note))</title><circle cx=\"\(fmt(x))\" cy=\"\(fmt(y))\" r=\"4\" fill=\"#2f6fb0\"/></g>"
            if i % labelEvery == 0 {
                svg += "<text x=\"\(fmt(x))\" y=\"\(fmt(height - bottom + 18))\" font-size=\"11\" text-anchor=\"middle\">\(esc(p.label))</text>"
            }
        }
        if points.isEmpty {
            svg += "<text x=\"\(fmt(width / 2))\" y=\"\(fmt(top + plotH / 2))\" font-size=\"13\" text-anchor=\"middle\" fill=\"#888\">暂无数据</text>"
        }
        return svg + "</svg>"
    }

    static func fmt(_ v: Double) -> String { String(format: "%.1f", v) }

    static func truncated(_ s: String, _ n: Int) -> String { s.count > n ? String(s.prefix(n - 1)) + "…" : s }

    static func percent(_ v: Double?) -> String { v.map { String(format: "%.1f%%", $0 * 100) } ?? "—" }
}
