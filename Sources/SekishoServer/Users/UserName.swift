import Foundation
import SekishoCore

/// User IDs are compared and stored in one form: the PRECIS UsernameCaseMapped profile (RFC 8265: width mapping,
/// lower case, NFC) after trimming, so `ＡＬＩＣＥ`, `Alice` and `alice` are one name.
///
/// New names must also pass ``check(_:)``: letters, digits and `. _ - @` only, one writing system (UTS #39), and no
/// characters that merely look like plain ones. Names stored before these rules keep working: they are looked up in
/// the same enforced form (and ``UserNameMigration`` moves any stored in an older form at start-up).
enum UserName {
    static let maximumLength = 64

    /// Why a new user ID is refused.
    enum Refusal: Error, Equatable {
        /// Empty, too long, or with a character outside letters, digits and `. _ - @`.
        case invalid
        /// A character that is not a plain letter or digit: a styled letter (`𝐚`), a symbol, a space...
        case character(Unicode.Scalar)
        /// Letters of several writing systems (ISO 15924 codes), such as Cyrillic `а` in `аlice`.
        case mixedScripts([String])
        /// Made of characters that only look like the plain name given (`alıce` looks like `alice`).
        case looksLike(String)
        /// Looks like an existing user's ID.
        case confusableWith(String)
    }

    static func normalize(_ input: String) -> String {
        UsernameCaseMapped.enforce(input.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Checks a normalised new name; throws the first rule it breaks. Letters, digits and `. _ - @` only: no ':'
    /// because authenticator labels split on it.
    static func check(_ normalized: String) throws(Refusal) {
        guard (1...maximumLength).contains(normalized.count) else { throw .invalid }
        let asciiAllowed: (Unicode.Scalar) -> Bool = { scalar in
            CharacterSet.alphanumerics.contains(scalar) || "._-@".unicodeScalars.contains(scalar)
        }
        if let scalar = UsernameCaseMapped.disallowedScalar(in: normalized, allowedASCII: asciiAllowed) {
            throw scalar.isASCII ? .invalid : .character(scalar)
        }
        if let scripts = UsernameCaseMapped.scriptMix(normalized) {
            throw .mixedScripts(scripts)
        }
        if !normalized.unicodeScalars.allSatisfy(\.isASCII) {
            let skeleton = UsernameCaseMapped.skeleton(normalized)
            if skeleton.unicodeScalars.allSatisfy(\.isASCII) { throw .looksLike(skeleton.lowercased()) }
        }
    }

    /// Whether two stored names look alike (same UTS #39 skeleton). Two plain-ASCII names never count: `bob1` and
    /// `bobl` were always distinct IDs and this check is about letters from other alphabets.
    static func looksAlike(_ first: String, _ second: String) -> Bool {
        guard first != second else { return false }
        guard !(first.unicodeScalars.allSatisfy(\.isASCII) && second.unicodeScalars.allSatisfy(\.isASCII)) else { return false }
        return UsernameCaseMapped.skeleton(first) == UsernameCaseMapped.skeleton(second)
    }
}

extension UserName.Refusal {
    /// The translation key and its values, for the pages.
    func message(_ language: Language) -> (key: String, values: [String: String]) {
        switch self {
        case .invalid:
            ("user.id_invalid", [:])
        case .character(let scalar):
            ("user.id_character", ["character": String(scalar), "code": String(format: "U+%04X", scalar.value)])
        case .mixedScripts(let scripts):
            ("user.id_mixed_scripts", ["scripts": scripts.map { Self.scriptName($0, language) }.joined(separator: language == .ja ? "、" : ", ")])
        case .looksLike(let plain):
            ("user.id_looks_like", ["lookalike": plain])
        case .confusableWith(let existing):
            ("user.id_confusable", ["existing": existing])
        }
    }

    /// The English sentence, for the console and the JSON API.
    var description: String {
        switch self {
        case .invalid:
            "user ID must be 1 to \(UserName.maximumLength) letters, digits or . _ - @"
        case .character(let scalar):
            "user ID cannot contain '\(scalar)' (\(String(format: "U+%04X", scalar.value))): use plain letters, digits or . _ - @ "
                + "(no styled letters such as 𝐚, symbols or spaces)"
        case .mixedScripts(let scripts):
            "user ID mixes writing systems (\(scripts.map { Self.scriptName($0, .en) }.joined(separator: ", "))): use one "
                + "(Japanese names may combine kanji, kana and Latin letters)"
        case .looksLike(let plain):
            "user ID looks like '\(plain)' but uses other characters: type it in plain letters"
        case .confusableWith(let existing):
            "user ID looks like the existing user ID '\(existing)': choose one that cannot be mistaken for it"
        }
    }

    /// The name of a writing system (ISO 15924 code) for the message; the code itself for rare ones.
    static func scriptName(_ code: String, _ language: Language) -> String {
        let names: [String: (en: String, ja: String)] = [
            "Latn": ("Latin", "ラテン文字"), "Cyrl": ("Cyrillic", "キリル文字"), "Grek": ("Greek", "ギリシャ文字"), "Hani": ("Han", "漢字"),
            "Hira": ("Hiragana", "ひらがな"), "Kana": ("Katakana", "カタカナ"), "Hang": ("Hangul", "ハングル"), "Arab": ("Arabic", "アラビア文字"),
            "Hebr": ("Hebrew", "ヘブライ文字"), "Armn": ("Armenian", "アルメニア文字"), "Geor": ("Georgian", "ジョージア文字"),
            "Thai": ("Thai", "タイ文字"), "Deva": ("Devanagari", "デーヴァナーガリー"), "Bopo": ("Bopomofo", "注音字母"), "Cher": ("Cherokee", "チェロキー文字"),
        ]
        guard let name = names[code] else { return code }
        return language == .ja ? name.ja : name.en
    }
}
