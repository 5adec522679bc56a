// libFuzzer entry point: any bytes, decoded as each protobuf message the platform reads — every renkei.v1
// request and response, and every event body of the log (the list, WireTypes.swift, is made by Tools/fuzz/run
// from the generated code). A message that decodes must encode, and decode again to an equal message.
import SwiftProtobuf

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWire(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    roundTrip(wireTypes[Int(bytes[0]) % wireTypes.count], Array(bytes.dropFirst()))
    return 0
}

func roundTrip(_ type: any SwiftProtobuf.Message.Type, _ bytes: [UInt8]) {
    guard let message = try? type.init(serializedBytes: bytes) else { return }
    guard let encoded: [UInt8] = try? message.serializedBytes() else { fatalError("\(type) decoded but does not encode") }
    guard let again = try? type.init(serializedBytes: encoded), again.isEqualTo(message: message) else {
        fatalError("\(type) does not survive a round trip")
    }
}
