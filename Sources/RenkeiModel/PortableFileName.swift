/// A file name that means the same plain file on Windows, macOS and Linux: what the platform accepts for an
/// attachment, and what a client writes into an office's folder. Refused: empty or longer than 255 bytes, a
/// leading dot (hidden, or `..`), a path separator or any of `: * ? " < > |` (an NTFS stream, wildcards),
/// control characters, a trailing dot or space (Windows drops them), and the Windows device names (`CON`,
/// `PRN`, `AUX`, `NUL`, `COM1`–`COM9`, `LPT1`–`LPT9`, with any extension, in any case).
public enum PortableFileName {
    static let forbidden: Set<Character> = ["/", "\\", ":", "*", "?", "\"", "<", ">", "|"]
    static let devices: Set<String> = Set(["CON", "PRN", "AUX", "NUL"] + (1...9).flatMap { ["COM\($0)", "LPT\($0)"] })

    /// Why `name` is not a portable file name, or nil when it is.
    public static func problem(_ name: String) -> String? {
        guard !name.isEmpty, name.utf8.count <= 255 else { return "a file name is 1 to 255 bytes" }
        guard !name.hasPrefix(".") else { return "a file name may not start with a dot" }
        guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return "a file name may not hold control characters" }
        if let bad = name.first(where: { forbidden.contains($0) }) { return "a file name may not hold \"\(bad)\"" }
        guard !name.hasSuffix("."), !name.hasSuffix(" ") else { return "a file name may not end with a dot or a space" }
        let stem = name.split(separator: ".", maxSplits: 1).first.map { String($0).uppercased().trimmingCharacters(in: " ") } ?? ""
        guard !devices.contains(stem) else { return "\(stem) is a Windows device name" }
        return nil
    }
}

private extension String {
    func trimmingCharacters(in characters: String) -> String {
        var text = Substring(self)
        while let last = text.last, characters.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
