using EmailPipeline.Policy.Dkim;
using EmailPipeline.Policy.Tests.Support;
using EmailPipeline.Testing;

namespace EmailPipeline.Policy.Tests.Dkim;

public sealed class DkimKeyRecordTests
{
    private static readonly string RsaP = TestKeys.Record(TestKeys.Rsa2048)[(TestKeys.Record(TestKeys.Rsa2048).IndexOf("p=", StringComparison.Ordinal) + 2)..];
    private static readonly string EdP = TestKeys.Record(TestKeys.Ed25519)[(TestKeys.Record(TestKeys.Ed25519).IndexOf("p=", StringComparison.Ordinal) + 2)..];

    [Theory]
    [InlineData(16384)]
    [InlineData(65536)]
    public void A_giant_rsa_key_a_sender_publishes_to_burn_our_cpu_is_refused_before_it_is_built(int bits)
    {
        Assert.False(DkimKeyRecord.TryParse("v=DKIM1; k=rsa; p=" + Convert.ToBase64String(RsaSubjectPublicKeyInfo(bits)), out _, out string? error));
        Assert.Equal("p= is an RSA key larger than 8192 bits", error);
    }

    /// <summary>A syntactically valid RSA SubjectPublicKeyInfo with a modulus of the given size (not a real key).</summary>
    private static byte[] RsaSubjectPublicKeyInfo(int bits)
    {
        byte[] modulus = new byte[bits / 8];
        new Random(bits).NextBytes(modulus);
        modulus[0] |= 0x80;
        modulus[^1] |= 1;
        var key = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (key.PushSequence())
        {
            key.WriteInteger(new System.Numerics.BigInteger(modulus, isUnsigned: true, isBigEndian: true));
            key.WriteInteger(65537);
        }

        var spki = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (spki.PushSequence())
        {
            using (spki.PushSequence())
            {
                spki.WriteObjectIdentifier("1.2.840.113549.1.1.1");
                spki.WriteNull();
            }

            spki.WriteBitString(key.Encode());
        }

        return spki.Encode();
    }

    [Fact]
    public void An_rsa_record_gives_the_key_and_its_size()
    {
        Assert.True(DkimKeyRecord.TryParse("v=DKIM1; k=rsa; p=" + RsaP, out DkimKeyRecord? record, out _));
        Assert.Equal("rsa", record!.KeyType);
        Assert.Equal(2048, record.KeyBits);
        Assert.False(record.IsRevoked);
        Assert.True(record.IsForEmail);
    }

    [Fact]
    public void An_ed25519_record_of_32_raw_octets_is_a_key()
    {
        Assert.True(DkimKeyRecord.TryParse("v=DKIM1; k=ed25519; p=" + EdP, out DkimKeyRecord? record, out _));
        Assert.Equal("ed25519", record!.KeyType);
    }

    [Theory]
    [InlineData("v=DKIM1; p=", true, false, false)]
    [InlineData("v=DKIM1; t=y; p=", true, true, false)]
    [InlineData("v=DKIM1; t=y:s; p=", true, true, true)]
    [InlineData("p=", true, false, false)]
    public void Flags_and_revocation_are_read(string record, bool revoked, bool testing, bool strict)
    {
        Assert.True(DkimKeyRecord.TryParse(record, out DkimKeyRecord? parsed, out _));
        Assert.Equal(revoked, parsed!.IsRevoked);
        Assert.Equal(testing, parsed.Testing);
        Assert.Equal(strict, parsed.StrictIdentity);
    }

    [Theory]
    [InlineData("v=DKIM1; h=sha1; p=", new[] { "sha1" }, true)]
    [InlineData("v=DKIM1; h=sha1:sha256; s=email; p=", new[] { "sha1", "sha256" }, true)]
    [InlineData("v=DKIM1; s=*; p=", new string[0], true)]
    [InlineData("v=DKIM1; s=tlsrpt; p=", new string[0], false)]
    public void Hash_and_service_lists_are_read(string record, string[] hashes, bool forEmail)
    {
        Assert.True(DkimKeyRecord.TryParse(record, out DkimKeyRecord? parsed, out _));
        Assert.Equal(hashes, parsed!.HashAlgorithms);
        Assert.Equal(forEmail, parsed.IsForEmail);
    }

    [Theory]
    [InlineData("k=rsa; v=DKIM1; p=", "v= must be first")]
    [InlineData("v=DKIM2; p=", "v= must be first")]
    [InlineData("v=DKIM1; k=dsa; p=", "unknown key type")]
    [InlineData("v=DKIM1; k=rsa", "no p=")]
    [InlineData("v=DKIM1; p=!!notbase64", "not a valid rsa public key")]
    [InlineData("v=DKIM1; k=ed25519; p=AAAA", "not a valid ed25519 public key")]
    [InlineData("v=DKIM1; p=; p=", "duplicate tag")]
    [InlineData("v=DKIM1; garbage; p=", "not tag=value")]
    public void Malformed_records_are_refused_with_a_reason(string record, string reason)
    {
        Assert.False(DkimKeyRecord.TryParse(record, out _, out string? error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }
}
