/// The bytes and fields of the record a ``CSVReader`` is reading, in plain memory that grows as needed and is
/// reused for every record. Writing a field's bytes is a copy into memory already there, and closing a field is
/// one store — not an array append, with its uniqueness and capacity checks, for every field. The reader copies
/// both into the ``CSVRecord`` once, when the record ends.
///
/// A class so that the memory is freed in `deinit`; a reader that is copied gives its copy its own scratch before
/// either writes (``CSVReader`` checks `isKnownUniquelyReferenced`).
///
/// Invariant: `byteCount <= byteCapacity`, `fieldCount <= fieldCapacity`, and the first `fieldCount` fields are
/// initialized (``CSVRecord/Field`` is a trivial type, so nothing needs deinitializing).
final class RecordScratch {
    private(set) var bytes: UnsafeMutablePointer<UInt8>
    private(set) var byteCapacity: Int
    /// The bytes of the record so far.
    var byteCount = 0
    private(set) var fields: UnsafeMutablePointer<CSVRecord.Field>
    private(set) var fieldCapacity: Int
    /// The fields of the record closed so far.
    private(set) var fieldCount = 0

    init(byteCapacity: Int = 4096, fieldCapacity: Int = 64) {
        self.byteCapacity = max(1, byteCapacity)
        self.fieldCapacity = max(1, fieldCapacity)
        bytes = .allocate(capacity: self.byteCapacity)
        fields = .allocate(capacity: self.fieldCapacity)
    }

    deinit {
        bytes.deallocate()
        fields.deallocate()
    }

    /// A scratch holding the same record.
    func copy() -> RecordScratch {
        let copy = RecordScratch(byteCapacity: byteCapacity, fieldCapacity: fieldCapacity)
        copy.bytes.update(from: bytes, count: byteCount)
        copy.byteCount = byteCount
        copy.fields.initialize(from: fields, count: fieldCount)
        copy.fieldCount = fieldCount
        return copy
    }

    /// Empties the scratch for the next record (keeping its memory).
    @inline(__always) func reset() {
        byteCount = 0
        fieldCount = 0
    }

    /// Appends `source`'s bytes.
    @inline(__always) func append(_ source: UnsafeBufferPointer<UInt8>) {
        guard let base = source.baseAddress, !source.isEmpty else { return }
        if byteCount + source.count > byteCapacity { growBytes(to: byteCount + source.count) }
        (bytes + byteCount).update(from: base, count: source.count)
        byteCount += source.count
    }

    /// Appends one byte.
    @inline(__always) func append(_ byte: UInt8) {
        if byteCount == byteCapacity { growBytes(to: byteCount + 1) }
        bytes[byteCount] = byte
        byteCount += 1
    }

    /// Appends a closed field.
    @inline(__always) func append(_ field: CSVRecord.Field) {
        if fieldCount == fieldCapacity { growFields() }
        (fields + fieldCount).initialize(to: field)
        fieldCount += 1
    }

    /// The record's bytes so far.
    var storedBytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: bytes, count: byteCount) }
    /// The record's closed fields.
    var storedFields: UnsafeBufferPointer<CSVRecord.Field> { UnsafeBufferPointer(start: fields, count: fieldCount) }

    private func growBytes(to needed: Int) {
        let capacity = max(needed, byteCapacity * 2)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        grown.update(from: bytes, count: byteCount)
        bytes.deallocate()
        bytes = grown
        byteCapacity = capacity
    }

    private func growFields() {
        let capacity = fieldCapacity * 2
        let grown = UnsafeMutablePointer<CSVRecord.Field>.allocate(capacity: capacity)
        grown.initialize(from: fields, count: fieldCount)
        fields.deallocate()
        fields = grown
        fieldCapacity = capacity
    }
}
