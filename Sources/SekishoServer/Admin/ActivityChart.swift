import Foundation
import SekishoStore

/// Sign-ins, failed attempts and lockouts per hour over the last 24 hours, drawn on the server as inline SVG for
/// `/admin/system`: no script, no `style` attributes (the CSP allows neither), colours from the stylesheet's classes.
struct ActivityChart: Sendable {
    /// One line of the chart: the audit kinds it counts and where its legend links.
    struct Series: Sendable {
        /// Also the CSS class of its bars (`bar-sign-ins`, ...).
        let name: String
        let kinds: [String]
        let labelKey: String
    }

    static let hours = 24
    static let series: [Series] = [
        Series(name: "sign-ins", kinds: [AuditKind.signIn.rawValue], labelKey: "admin.system_sign_ins"),
        Series(name: "failures", kinds: [AuditKind.signInFailed.rawValue, AuditKind.codeFailed.rawValue], labelKey: "admin.system_failures"),
        Series(name: "lockouts", kinds: [AuditKind.lockout.rawValue], labelKey: "admin.system_lockouts"),
    ]

    /// `counts[series][hour]`, hour 0 being the oldest.
    let counts: [[Int]]
    /// The start of each hour, oldest first.
    let hourStarts: [Date]

    /// Counts the last 24 whole hours up to the end of the current one, with one aggregation query.
    static func load(store: any Store, now: Date) async throws -> ActivityChart {
        // The end of the current hour (an event at exactly hh:00 belongs to the hour it starts).
        let end = ((now.timeIntervalSince1970 / 3600).rounded(.down) + 1) * 3600
        let start = Date(timeIntervalSince1970: end - Double(hours) * 3600)
        let rows = try await store.auditCounts(
            kinds: series.flatMap(\.kinds),
            from: start,
            to: Date(timeIntervalSince1970: end),
            bucket: 3600
        )
        var counts = Array(repeating: Array(repeating: 0, count: hours), count: series.count)
        for row in rows where (0..<hours).contains(row.bucket) {
            if let index = series.firstIndex(where: { $0.kinds.contains(row.kind) }) {
                counts[index][row.bucket] += row.count
            }
        }
        return ActivityChart(counts: counts, hourStarts: (0..<hours).map { start.addingTimeInterval(Double($0) * 3600) })
    }

    /// The total of each series over the 24 hours.
    var totals: [Int] { counts.map { $0.reduce(0, +) } }

    /// The chart as an `<svg>` element; `title` and the hour labels come from the caller (translated, zone applied).
    func svg(title: String, seriesLabels: [String], hourLabel: (Date) -> String) -> String {
        let width = 480.0
        let height = 150.0
        let left = 34.0
        let bottom = 20.0
        let plotHeight = height - bottom - 8
        let slot = (width - left) / Double(Self.hours)
        let barWidth = (slot - 2) / Double(counts.count)
        let maximum = max(1, counts.flatMap { $0 }.max() ?? 0)
        var svg = #"<svg class="activity" viewBox="0 0 \#(Int(width)) \#(Int(height))" role="img" aria-labelledby="activity-title" "#
        svg += #"xmlns="http://www.w3.org/2000/svg"><title id="activity-title">\#(Self.escape(title))</title>"#
        let baseline = height - bottom
        svg += #"<line class="axis" x1="\#(left)" y1="\#(baseline)" x2="\#(width)" y2="\#(baseline)"/>"#
        svg += #"<text class="tick" x="\#(left - 4)" y="16" text-anchor="end">\#(maximum)</text>"#
        svg += #"<text class="tick" x="\#(left - 4)" y="\#(baseline)" text-anchor="end">0</text>"#
        for hour in 0..<Self.hours {
            let x = left + Double(hour) * slot + 1
            for (index, values) in counts.enumerated() where values[hour] > 0 {
                let barHeight = max(1, plotHeight * Double(values[hour]) / Double(maximum))
                let label = "\(hourLabel(hourStarts[hour])) \(seriesLabels[index]): \(values[hour])"
                svg += #"<rect class="bar bar-\#(Self.series[index].name)" x="\#(Self.number(x + Double(index) * barWidth))" "#
                svg += #"y="\#(Self.number(baseline - barHeight))" width="\#(Self.number(barWidth))" height="\#(Self.number(barHeight))">"#
                svg += "<title>\(Self.escape(label))</title></rect>"
            }
            if hour % 6 == 0 {
                svg += #"<text class="tick" x="\#(Self.number(x))" y="\#(height - 5)">\#(Self.escape(hourLabel(hourStarts[hour])))</text>"#
            }
        }
        return svg + "</svg>"
    }

    private static func number(_ value: Double) -> String {
        String(format: "%.1f", value)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
