import Glibc

/// Compares two keys in the order of every store's key spaces (LMDB's): bytes unsigned, a prefix first.
/// Negative, zero or positive, as memcmp.
@inlinable @inline(__always)
public func compareKeys(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let common = min(a.count, b.count)
    if common > 0, let x = a.baseAddress, let y = b.baseAddress {
        let order = memcmp(x, y, common)
        if order != 0 { return Int(order) }
    }
    return a.count - b.count
}

/// Compares two keys in the order of every store's key spaces; see the buffer form.
@inlinable @inline(__always)
public func compareKeys(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a.withUnsafeBytes { x in b.withUnsafeBytes { y in compareKeys(x, y) } }
}
