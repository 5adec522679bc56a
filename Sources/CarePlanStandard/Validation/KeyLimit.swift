/// How many record keys (users) one file's check may keep for the send-unit checks, and why that many: the
/// checker's per-file limit, or what is left of its per-check budget.
///
/// Keys are what a file leaves behind after its check (``FileFacts``), and the checker keeps them for every file
/// until the send units are judged; without a bound a hostile file of distinct keys, or many such files, would
/// hold memory in proportion to their size. Past the bound a file gets one LIMIT-5 warning, and the key checks
/// (KEY-1, KEY-2) skip what they can no longer know rather than report users as missing.
struct KeyLimit: Hashable, Sendable {
    /// Why a file keeps at most ``count`` keys.
    enum Scope: Hashable, Sendable {
        /// The per-file limit (``StandardChecker/maxKeysPerFile``).
        case file
        /// What was left of the per-check budget (``StandardChecker/maxKeysPerCheck``), which is `total`.
        case check(total: Int)
    }

    /// The most keys the file keeps.
    var count: Int
    /// Why.
    var scope: Scope

    /// The LIMIT-5 warning for a file that reached the limit: `line` is the first line whose key was not kept,
    /// `table7` says whether the 第7表 "rows together" check was cut short as well.
    func finding(file: String, line: Int, table7: Bool) -> Finding {
        let (limitJA, limitEN): (String, String)
        switch scope {
        case .file:
            limitJA = "1ファイルで照合できる利用者（キー）の上限 \(count) 件を超えたため"
            limitEN = "The file has more than \(count) distinct users (keys), the most one file keeps"
        case .check(let total):
            limitJA = "1回の検査で照合できる利用者（キー）の上限 \(total) 件に達したため"
            limitEN = "The check reached its limit of \(total) distinct users (keys) across its files"
        }
        return Finding(file: file, line: line, code: .tooManyKeys, level: .warning,
                       ja: "\(limitJA)、\(line)行目以降に初めて出てくる利用者は送信単位の照合（KEY-1、KEY-2）"
                           + "\(table7 ? "と第7表の行の連続（T7-1）" : "")をしていません。",
                       en: "\(limitEN); users first seen from line \(line) on were not cross-checked within the send unit "
                           + "(KEY-1, KEY-2)\(table7 ? " nor checked for having their 第7表 rows together (T7-1)" : "").")
    }
}
