@testable import DICOMNetwork
import Testing

@Suite struct MessageAssemblerTests {
    @Test func commandSetRoundTripsWithGroupLength() throws {
        let command = DIMSECommand.storeRequest(messageID: 7, sopClass: StorageSOPClasses.mr, sopInstance: "1.2.3.45")
        let bytes = command.encoded()
        // (0000,0000) UL first, its value the byte count of the rest.
        #expect(Array(bytes[0..<8]) == [0, 0, 0, 0, 4, 0, 0, 0])
        let length = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        #expect(length == bytes.count - 12)
        let decoded = try DIMSECommand.decode(bytes)
        #expect(decoded.field == .cStoreRQ)
        #expect(decoded.string(DIMSECommand.affectedSOPInstanceUID) == "1.2.3.45")
        #expect(decoded.uint16(DIMSECommand.messageID) == 7)
        #expect(decoded.hasDataSet)
    }

    @Test func malformedCommandsAreTyped() throws {
        #expect(throws: DIMSEError.self) { try DIMSECommand.decode([0, 0, 0, 1]) }
        #expect(throws: DIMSEError.self) { try DIMSECommand.decode([8, 0, 0x16, 0, 2, 0, 0, 0, 1, 2]) }  // group 0008
        #expect(throws: DIMSEError.self) { try DIMSECommand.decode([0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF]) }  // undefined length
        #expect(throws: DIMSEError.self) { try DIMSECommand.decode([0, 0, 2, 0, 0, 0, 0, 0]) }  // no command field
        let twice = DIMSECommand.echoRequest(messageID: 1).encoded() + [0, 0, 0x10, 1, 2, 0, 0, 0, 1, 0]
        #expect(throws: DIMSEError.self) { try DIMSECommand.decode(twice) }
    }

    @Test func fragmentsRespectTheLimitAndReassemble() throws {
        let data = (0..<10_000).map { UInt8($0 % 251) }
        let message = DIMSEMessage(contextID: 3, command: .storeRequest(messageID: 1, sopClass: "1.2", sopInstance: "1.3"), dataSet: data)
        let pdvs = MessageAssembler.fragments(of: message, maxPDULength: 1000)
        #expect(pdvs.allSatisfy { $0.data.count + 6 <= 1000 })
        #expect(pdvs.filter(\.isLast).count == 2)
        for pdv in pdvs { #expect(PDUCodec.encode(.data([pdv])).count - 6 <= 1000) }
        var assembler = MessageAssembler(maxDataSetBytes: 1 << 20)
        var out: [DIMSEMessage] = []
        for pdv in pdvs { if let m = try assembler.add(pdv) { out.append(m) } }
        let same = out == [message]  // a Bool, so a failure does not print 10 000 bytes
        #expect(same)
        #expect(!assembler.isPartial)
    }

    @Test func outOfOrderFragmentsAreViolations() throws {
        var a = MessageAssembler(maxDataSetBytes: 100)
        #expect(throws: DIMSEError.self) { try a.add(PDV(contextID: 1, isCommand: false, isLast: true, data: [1])) }
        var b = MessageAssembler(maxDataSetBytes: 100)
        let command = DIMSECommand.storeRequest(messageID: 1, sopClass: "1.2", sopInstance: "1.3").encoded()
        _ = try b.add(PDV(contextID: 1, isCommand: true, isLast: false, data: Array(command.prefix(10))))
        #expect(throws: DIMSEError.self) { try b.add(PDV(contextID: 3, isCommand: true, isLast: true, data: Array(command.dropFirst(10)))) }
    }

    @Test func oversizeInstanceIsRefused() throws {
        var a = MessageAssembler(maxDataSetBytes: 100)
        let command = DIMSECommand.storeRequest(messageID: 1, sopClass: "1.2", sopInstance: "1.3").encoded()
        #expect(try a.add(PDV(contextID: 1, isCommand: true, isLast: true, data: command)) == nil)
        _ = try a.add(PDV(contextID: 1, isCommand: false, isLast: false, data: [UInt8](repeating: 0, count: 60)))
        #expect(throws: DIMSEError.instanceTooLarge(bytes: 120, limit: 100)) {
            try a.add(PDV(contextID: 1, isCommand: false, isLast: false, data: [UInt8](repeating: 0, count: 60)))
        }
    }
}
