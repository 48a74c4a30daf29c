/// The browser and the system a `User-Agent` names, in words for the sessions list: "Firefox" on
/// "Windows", "Safari" on "iOS".
///
/// Our own few lines instead of a dependency: the list needs a family name, not versions or
/// devices, and a wrong guess costs nothing but a label. Order matters, because browsers claim
/// each other's names: Edge and Opera say "Chrome", Chrome says "Safari", all say "Mozilla".
///
/// ```swift
/// let summary = UserAgentSummary("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
/// summary.browser // "Firefox"
/// summary.system  // "Linux"
/// ```
public struct UserAgentSummary: Sendable, Equatable {
    /// The browser's family; nil when the value names none we know.
    public let browser: String?
    /// The operating system; nil when the value names none we know.
    public let system: String?

    public init(_ userAgent: String) {
        browser = Self.first(Self.browsers, in: userAgent)
        system = Self.first(Self.systems, in: userAgent)
    }

    /// (what the value contains, the name shown), tried in order.
    private static let browsers: [(String, String)] = [
        ("Edg/", "Edge"), ("EdgA/", "Edge"), ("EdgiOS/", "Edge"),
        ("OPR/", "Opera"), ("Vivaldi/", "Vivaldi"), ("YaBrowser/", "Yandex Browser"),
        ("SamsungBrowser/", "Samsung Internet"), ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"),
        ("CriOS/", "Chrome"), ("Chromium/", "Chromium"), ("HeadlessChrome/", "Chrome"), ("Chrome/", "Chrome"),
        ("Safari/", "Safari"), ("curl/", "curl"), ("Wget/", "Wget"), ("python-requests/", "Python"),
    ]

    private static let systems: [(String, String)] = [
        ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Android", "Android"), ("CrOS", "ChromeOS"),
        ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Macintosh", "macOS"), ("Linux", "Linux"), ("FreeBSD", "FreeBSD"),
    ]

    private static func first(_ candidates: [(String, String)], in userAgent: String) -> String? {
        candidates.first { userAgent.contains($0.0) }?.1
    }
}
