using System.Security.Cryptography;

namespace EmailPipeline.Contracts;

/// <summary>
/// Sortable message ids: 48 bits of Unix milliseconds then 80 random bits, in Crockford base32 (26 characters,
/// the ULID layout). Sorting the text sorts by receive time, which makes queue listings and logs easy to read.
/// </summary>
public static class QueueId
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    public static string New() => New(DateTimeOffset.UtcNow);

    public static string New(DateTimeOffset now)
    {
        Span<byte> bytes = stackalloc byte[16];
        ulong ms = (ulong)now.ToUnixTimeMilliseconds();
        for (int i = 5; i >= 0; i--)
        {
            bytes[i] = (byte)(ms & 0xFF);
            ms >>= 8;
        }

        RandomNumberGenerator.Fill(bytes[6..]);
        return Encode(bytes);
    }

    public static bool IsValid(string? id)
    {
        if (id is null || id.Length != 26 || id[0] > '7')
        {
            return false;
        }

        foreach (char c in id)
        {
            if (!Alphabet.Contains(c))
            {
                return false;
            }
        }

        return true;
    }

    public static DateTimeOffset TimestampOf(string id)
    {
        if (!IsValid(id))
        {
            throw new FormatException($"'{id}' is not a queue id.");
        }

        long ms = 0;
        for (int i = 0; i < 10; i++)
        {
            ms = (ms << 5) | (long)Alphabet.IndexOf(id[i]);
        }

        return DateTimeOffset.FromUnixTimeMilliseconds(ms);
    }

    private static string Encode(ReadOnlySpan<byte> bytes)
    {
        // 128 bits -> 26 base32 digits; the first digit carries the top 3 bits.
        return string.Create(26, bytes.ToArray(), static (chars, b) =>
        {
            UInt128 value = 0;
            foreach (byte x in b)
            {
                value = (value << 8) | x;
            }

            for (int i = 25; i >= 0; i--)
            {
                chars[i] = Alphabet[(int)(value & 31)];
                value >>= 5;
            }
        });
    }
}
