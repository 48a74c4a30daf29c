/// The parsed form of ``UnicodeSecurityData``: script ranges for binary search and the two mappings.
///
/// Built once, on first use, from the generated text (see `scripts/generate-unicode-tables.py`).
struct UnicodeSecurityTables: Sendable {
    static let shared = UnicodeSecurityTables()

    /// Sorted, non-overlapping ranges with their script.
    private let scriptRanges: [(low: UInt32, high: UInt32, script: String)]
    /// Sorted ranges whose Script_Extensions differ from their Script.
    private let extensionRanges: [(low: UInt32, high: UInt32, scripts: Set<String>)]
    let widthMappings: [UInt32: [Unicode.Scalar]]
    let confusables: [UInt32: [Unicode.Scalar]]

    private init() {
        scriptRanges = Self.lines(UnicodeSecurityData.scripts).map { ($0.low, $0.high, $0.rest[0]) }
        extensionRanges = Self.lines(UnicodeSecurityData.scriptExtensions).map { ($0.low, $0.high, Set($0.rest)) }
        widthMappings = Self.mappings(UnicodeSecurityData.widthMappings)
        confusables = Self.mappings(UnicodeSecurityData.confusables)
    }

    /// The Script_Extensions of `scalar` (its Script when it has none); `Zyyy` is Common, `Zinh` Inherited, `Zzzz` unknown.
    func scriptExtensions(of scalar: Unicode.Scalar) -> Set<String> {
        let value = scalar.value
        if let index = Self.search(extensionRanges.count, { extensionRanges[$0].low <= value }),
            extensionRanges[index].high >= value
        {
            return extensionRanges[index].scripts
        }
        if let index = Self.search(scriptRanges.count, { scriptRanges[$0].low <= value }), scriptRanges[index].high >= value {
            return [scriptRanges[index].script]
        }
        return ["Zzzz"]
    }

    /// The last index for which `isAtOrBefore` holds, in a sorted table of `count` entries.
    private static func search(_ count: Int, _ isAtOrBefore: (Int) -> Bool) -> Int? {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if isAtOrBefore(middle) { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : low - 1
    }

    private static func lines(_ text: String) -> [(low: UInt32, high: UInt32, rest: [String])] {
        text.split(separator: "\n").map { line in
            let fields = line.split(separator: " ").map(String.init)
            return (UInt32(fields[0], radix: 16)!, UInt32(fields[1], radix: 16)!, Array(fields.dropFirst(2)))
        }
    }

    private static func mappings(_ text: String) -> [UInt32: [Unicode.Scalar]] {
        var result: [UInt32: [Unicode.Scalar]] = [:]
        for line in text.split(separator: "\n") {
            let values = line.split(separator: " ").map { UInt32($0, radix: 16)! }
            result[values[0]] = values.dropFirst().map { Unicode.Scalar($0)! }
        }
        return result
    }
}
