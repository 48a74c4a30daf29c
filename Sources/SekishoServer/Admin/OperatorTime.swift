import Foundation

/// Times on the admin pages, in the operator's zone (`server.time_zone`), with the zone named on the page.
///
/// ```swift
/// let time = OperatorTime(zone: TimeZone(identifier: "Asia/Tokyo")!)
/// time.text(Date(timeIntervalSince1970: 1_800_000_015))  // "2027-01-15 17:00:15"
/// time.zoneName(at: now)                                   // "Asia/Tokyo, UTC+09:00"
/// ```
struct OperatorTime: Sendable {
    let zone: TimeZone

    private var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar
    }

    /// `yyyy-MM-dd HH:mm:ss` in the zone: sortable, and the same in English and Japanese.
    func text(_ date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d",
            parts.year ?? 0,
            parts.month ?? 0,
            parts.day ?? 0,
            parts.hour ?? 0,
            parts.minute ?? 0,
            parts.second ?? 0
        )
    }

    /// The zone's name and its offset from UTC at `date` (which changes with daylight saving time).
    func zoneName(at date: Date) -> String {
        let seconds = zone.secondsFromGMT(for: date)
        let sign = seconds < 0 ? "-" : "+"
        let offset = String(format: "UTC%@%02d:%02d", sign, abs(seconds) / 3600, abs(seconds) % 3600 / 60)
        return ["GMT", "UTC", "Etc/UTC", "Etc/GMT", "Etc/Universal", "Universal", "Zulu"].contains(zone.identifier)
            ? "UTC" : "\(zone.identifier), \(offset)"
    }

    /// The hour of `date` in the zone (0...23), for the charts.
    func hour(_ date: Date) -> Int {
        calendar.component(.hour, from: date)
    }
}
