using System.Security.Cryptography;
using EmailPipeline.Ingress.Authentication;

namespace EmailPipeline.Ingress.Tests.Authentication;

public sealed class Md5ChainingStateTests
{
    public static TheoryData<int> Lengths => [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Hashing_from_the_initial_state_matches_the_framework_md5(int length)
    {
        byte[] message = RandomNumberGenerator.GetBytes(length);
        byte[] actual = new byte[16];

        Md5ChainingState.Initial.Finish(0, message, actual);

        Assert.Equal(MD5.HashData(message), actual);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Resuming_after_absorbed_blocks_matches_hashing_the_whole_message(int length)
    {
        byte[] prefix = RandomNumberGenerator.GetBytes(128);
        byte[] rest = RandomNumberGenerator.GetBytes(length);
        Md5ChainingState state = Md5ChainingState.Initial.Absorb(prefix.AsSpan(0, 64)).Absorb(prefix.AsSpan(64, 64));
        byte[] actual = new byte[16];

        state.Finish(128, rest, actual);

        Assert.Equal(MD5.HashData([.. prefix, .. rest]), actual);
    }

    [Fact]
    public void Rfc1321_test_suite_digests_are_reproduced()
    {
        (string Input, string Digest)[] cases =
        [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("12345678901234567890123456789012345678901234567890123456789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a"),
        ];
        foreach ((string input, string digest) in cases)
        {
            byte[] actual = new byte[16];
            Md5ChainingState.Initial.Finish(0, System.Text.Encoding.ASCII.GetBytes(input), actual);
            Assert.Equal(digest, Convert.ToHexStringLower(actual));
        }
    }

    [Fact]
    public void Resuming_from_a_state_not_on_a_block_boundary_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Md5ChainingState.Initial.Finish(10, [], new byte[16]));
    }

    [Fact]
    public void State_round_trips_through_its_byte_form()
    {
        Md5ChainingState state = Md5ChainingState.Initial.Absorb(RandomNumberGenerator.GetBytes(64));
        byte[] bytes = new byte[16];

        state.WriteTo(bytes);

        Assert.Equal(state, Md5ChainingState.ReadFrom(bytes));
    }
}
