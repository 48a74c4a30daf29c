import Foundation

/// A change decided by one conditional statement, with the writes that follow only when it
/// changed a row: the shape of every hot path that spends something (a code's step, and the
/// session, audit event and counters that come with it).
///
/// Written once, run the way each engine does it fastest:
/// - SQLite runs in process, where a statement costs no round trip: the gates, the guard and the
///   followers run one after another in one transaction.
/// - PostgreSQL gets them as one statement of data-modifying CTEs: one round trip and its own
///   transaction, instead of a dozen round trips inside `BEGIN … COMMIT`. Every part of one
///   statement sees the same snapshot, so no follower may change a row that another part
///   changes; the row locks the gates take are held until that statement commits.
///
/// Each part is written with the condition it needs as an argument (`when`): `TRUE` when run
/// step by step (the runner has decided already), a reference to the gates or the guard in the
/// single statement. Values in a follower's `SELECT` list that may be NULL are cast to their
/// column's type, since PostgreSQL cannot infer a type for a NULL parameter there.
struct GuardedChange: Sendable {
    /// `SELECT <0 or 1> AS waiting FROM … <lock>`: a row with `waiting = 1` stops the change
    /// before the guard runs.
    var gates: [SQL]
    /// The conditional `UPDATE … WHERE … AND \(when)`; `when` holds while no gate is closed.
    var guarding: @Sendable (SQL) -> SQL
    /// The writes that follow a changed guard, each `… WHERE … AND \(when)` (or `INSERT … SELECT
    /// … WHERE \(when)`); `when` holds when the guard changed a row.
    var followers: [@Sendable (SQL) -> SQL]

    enum Outcome: Sendable, Equatable {
        case gateClosed
        case guardUnchanged
        case changed
    }

    /// Runs the parts one after another inside the caller's transaction.
    func runStepByStep(in db: any SQLConnection) throws -> Outcome {
        for gate in gates where try db.rows(gate).contains(where: { try $0.int64("waiting") == 1 }) {
            return .gateClosed
        }
        guard try db.execute(guarding("TRUE")) > 0 else { return .guardUnchanged }
        for follower in followers { try db.execute(follower("TRUE")) }
        return .changed
    }

    /// The parts as one statement of data-modifying CTEs, answering one row with `open` (no gate
    /// closed) and `changed` (rows the guard changed).
    var asOneStatement: SQL {
        var parts: [SQL] = []
        var open: [SQL] = []
        for (index, gate) in gates.enumerated() {
            parts.append("gate\(raw: String(index)) AS (\(gate))")
            open.append("NOT EXISTS (SELECT 1 FROM gate\(raw: String(index)) WHERE waiting = 1)")
        }
        let isOpen: SQL = open.isEmpty ? "TRUE" : "(\(SQL.joined(open, separator: " AND ")))"
        parts.append("guarded AS (\(guarding(isOpen)) RETURNING 1 AS changed)")
        for (index, follower) in followers.enumerated() {
            parts.append("follower\(raw: String(index)) AS (\(follower("EXISTS (SELECT 1 FROM guarded)")))")
        }
        return "WITH \(SQL.joined(parts, separator: ",\n")) SELECT \(isOpen) AS open, (SELECT COUNT(*) FROM guarded) AS changed"
    }

    /// Reads the answer of ``asOneStatement``.
    static func outcome(of row: any SQLRow) throws -> Outcome {
        guard try row.bool("open") else { return .gateClosed }
        return try row.int64("changed") > 0 ? .changed : .guardUnchanged
    }
}
