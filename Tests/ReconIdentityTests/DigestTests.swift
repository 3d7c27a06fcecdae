import ReconIdentity
import Testing

@Suite struct SHA256Tests {
    @Test func knownDigests() {
        let empty = SHA256Hasher()
        #expect(empty.finishHex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var abc = SHA256Hasher()
        abc.update(Array("abc".utf8))
        #expect(abc.finishHex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var long = SHA256Hasher()
        for byte in Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8) { long.update([byte]) }
        #expect(long.finishHex() == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }
}

@Suite struct Base64URLTests {
    @Test func roundTripsWithoutPadding() {
        let bytes: [UInt8] = [0xfb, 0xff, 0xfe, 0x00, 0x3e]
        let text = Base64URL.encode(bytes)
        #expect(text == "-__-AD4")
        #expect(Base64URL.decode(Substring(text)) == bytes)
        #expect(Base64URL.decode("a+b/") == nil)
    }

    @Test func randomTokensAre256BitsOfBase64URL() {
        let token = randomToken()
        #expect(token.count == 43)
        #expect(Base64URL.decode(Substring(token))?.count == 32)
        #expect(token != randomToken())
    }
}
