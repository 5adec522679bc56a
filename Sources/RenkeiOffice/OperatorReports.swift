import Foundation
public import RenkeiAPI

/// The operator's files: the annual offset statement for Excel, and the units-by-prefecture chart.
public enum OperatorReports {
    /// One row per licence charge: UTF-8 with a BOM and CRLF, as Excel opens it without asking.
    public static func offsetCSV(_ statements: [Renkei_V1_OffsetStatement]) -> [UInt8] {
        var text = "\u{FEFF}事業所番号,年度,日付,内容,料金(円),精算方法\r\n"
        for statement in statements {
            for line in statement.lines {
                let what = line.what == "renewed" ? "更新" : line.what == "activated" ? "有効化" : line.what
                text += "\(statement.officeNumber),\(statement.fiscalYear),\(line.day),\(what),\(line.feeYen),\(settlement(line.settlement))\r\n"
            }
            text += "\(statement.officeNumber),\(statement.fiscalYear),,合計,\(statement.totalYen),\r\n"
        }
        return Array(text.utf8)
    }

    static func settlement(_ settlement: Renkei_V1_Settlement) -> String {
        switch settlement {
        case .benefitOffset: "国保連相殺"
        case .invoice: "請求書"
        case .waived: "無料(フリーパス)"
        default: "-"
        }
    }

    /// A bar chart of send units by prefecture (SVG, 都道府県コード on the axis).
    public static func svg(_ stats: Renkei_V1_Stats) -> String {
        let rows = stats.byPrefecture.sorted { $0.prefecture < $1.prefecture }
        let maximum = max(1, rows.map(\.units).max() ?? 1)
        let barWidth = 16, gap = 4, height = 200, left = 40, top = 30
        let width = left + rows.count * (barWidth + gap) + 20
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(max(width, 240))" height="\(height + top + 40)" font-family="sans-serif" font-size="10">
        <text x="\(left)" y="16" font-size="12">送信単位数 units by prefecture \(stats.month)</text>

        """
        for (index, row) in rows.enumerated() {
            let barHeight = Int(Double(row.units) / Double(maximum) * Double(height))
            let x = left + index * (barWidth + gap)
            svg += "<rect x=\"\(x)\" y=\"\(top + height - barHeight)\" width=\"\(barWidth)\" height=\"\(barHeight)\" fill=\"#3b6ea5\"><title>\(row.prefecture): \(row.units)</title></rect>\n"
            svg += "<text x=\"\(x + barWidth / 2)\" y=\"\(top + height + 12)\" text-anchor=\"middle\">\(row.prefecture)</text>\n"
            svg += "<text x=\"\(x + barWidth / 2)\" y=\"\(top + height - barHeight - 2)\" text-anchor=\"middle\">\(row.units)</text>\n"
        }
        svg += "<line x1=\"\(left - 2)\" y1=\"\(top + height)\" x2=\"\(width)\" y2=\"\(top + height)\" stroke=\"black\"/>\n</svg>\n"
        return svg
    }
}
