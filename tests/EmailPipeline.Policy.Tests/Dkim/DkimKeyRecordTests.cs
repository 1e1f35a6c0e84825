using EmailPipeline.Policy.Dkim;
using EmailPipeline.Policy.Tests.Support;
using EmailPipeline.Testing;

namespace EmailPipeline.Policy.Tests.Dkim;

public sealed class DkimKeyRecordTests
{
    private static readonly string RsaP = TestKeys.Record(TestKeys.Rsa2048)[(TestKeys.Record(TestKeys.Rsa2048).IndexOf("p=", StringComparison.Ordinal) + 2)..];
    private static readonly string EdP = TestKeys.Record(TestKeys.Ed25519)[(TestKeys.Record(TestKeys.Ed25519).IndexOf("p=", StringComparison.Ordinal) + 2)..];

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
