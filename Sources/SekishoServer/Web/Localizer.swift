import Foundation

/// The words of the pages and mails in each language, from `Public/locales/<lang>.json`.
///
/// Kept in files so that wording can be fixed without touching code; a key missing in one
/// language falls back to English (a test checks none is missing).
struct Localizer: Sendable {
    private let strings: [Language: [String: String]]

    init(directory: String) throws {
        var strings: [Language: [String: String]] = [:]
        for language in Language.allCases {
            let path = "\(directory)/\(language.rawValue).json"
            guard let data = FileManager.default.contents(atPath: path) else {
                throw StartupError("cannot read translations \(path)")
            }
            do {
                strings[language] = try JSONDecoder().decode([String: String].self, from: data)
            } catch {
                throw StartupError("translations \(path) are not a JSON object of strings: \(error)")
            }
        }
        self.strings = strings
    }

    /// All strings of `language`, English filling any gap.
    func table(for language: Language) -> [String: String] {
        (strings[.en] ?? [:]).merging(strings[language] ?? [:]) { $1 }
    }

    func text(_ key: String, _ language: Language) -> String {
        strings[language]?[key] ?? strings[.en]?[key] ?? key
    }

    func keys(of language: Language) -> Set<String> { Set(strings[language]?.keys ?? [:].keys) }
}
