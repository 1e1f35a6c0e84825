namespace EmailPipeline.Smtp.Fuzz;

/// <summary>
/// A small in-process mutation fuzzer: no coverage feedback, but it needs nothing but .NET, so the tests
/// run it on every build with a fixed seed, and it stands in where AFL cannot run.
/// </summary>
public static class MutationFuzzer
{
    /// <summary>Octet strings that matter to SMTP parsing, spliced in so mutations reach the interesting states.</summary>
    private static readonly byte[][] Tokens =
    [
        "\r\n"u8.ToArray(), "\r"u8.ToArray(), "\n"u8.ToArray(), "."u8.ToArray(), "\r\n.\r\n"u8.ToArray(),
        "\n.\n"u8.ToArray(), "\r.\r"u8.ToArray(), "\n.\r\n"u8.ToArray(), "\r\n.\n"u8.ToArray(), "\r\n.."u8.ToArray(),
        "<"u8.ToArray(), ">"u8.ToArray(), "@"u8.ToArray(), "\""u8.ToArray(), "\\"u8.ToArray(), "["u8.ToArray(),
        "]"u8.ToArray(), "IPv6:"u8.ToArray(), "::"u8.ToArray(), "+2B"u8.ToArray(), "+"u8.ToArray(), "="u8.ToArray(),
        " "u8.ToArray(), ":"u8.ToArray(), ","u8.ToArray(), "xn--"u8.ToArray(), "ü"u8.ToArray(), [0xF0, 0x9F, 0x98],
        [0], [0xFF], "MAIL FROM:<"u8.ToArray(), "RCPT TO:<"u8.ToArray(), " SIZE="u8.ToArray(), " ORCPT=rfc822;"u8.ToArray(),
    ];

    /// <summary>
    /// Runs mutants of <paramref name="seeds"/> through <paramref name="target"/> until
    /// <paramref name="iterations"/> ran or <paramref name="budget"/> is spent. Returns how many ran;
    /// the first failing input escapes inside a <see cref="FuzzInvariantException"/> carrying it in hex.
    /// </summary>
    public static long Run(FuzzTarget target, IReadOnlyList<byte[]> seeds, int seed, long iterations, TimeSpan budget)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(seeds);
        var random = new Random(seed);
        var pool = new List<byte[]>(seeds.Count == 0 ? [[]] : seeds);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long done = 0;
        while (done < iterations && clock.Elapsed < budget)
        {
            byte[] input = Mutate(pool[random.Next(pool.Count)], pool, random);
            try
            {
                target.Run(input);
            }
            catch (Exception e)
            {
                // Rethrown with the input: without it a failure found by a random run could not be replayed.
                throw new FuzzInvariantException($"target '{target.Name}' failed on input {Convert.ToHexString(input)}", e);
            }

            done++;
            if (pool.Count < 512 && random.Next(16) == 0)
            {
                pool.Add(input);
            }
        }

        return done;
    }

    private static byte[] Mutate(byte[] original, List<byte[]> pool, Random random)
    {
        var bytes = new List<byte>(original);
        int steps = 1 + random.Next(6);
        for (int s = 0; s < steps; s++)
        {
            int at = random.Next(bytes.Count + 1);
            switch (random.Next(8))
            {
                case 0 when bytes.Count > 0:
                    at = random.Next(bytes.Count);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                    break;
                case 2 when bytes.Count > 0:
                    bytes.RemoveRange(Math.Min(at, bytes.Count - 1), Math.Min(1 + random.Next(8), bytes.Count - Math.Min(at, bytes.Count - 1)));
                    break;
                case 3:
                case 4:
                    bytes.InsertRange(at, Tokens[random.Next(Tokens.Length)]);
                    break;
                case 5 when bytes.Count > 0:
                {
                    int from = random.Next(bytes.Count);
                    int length = Math.Min(1 + random.Next(32), bytes.Count - from);
                    bytes.InsertRange(at, bytes.GetRange(from, length));
                    break;
                }

                case 6:
                {
                    byte[] other = pool[random.Next(pool.Count)];
                    int from = other.Length == 0 ? 0 : random.Next(other.Length);
                    bytes.InsertRange(at, other.AsSpan(from, Math.Min(other.Length - from, 1 + random.Next(64))).ToArray());
                    break;
                }

                default:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
            }
        }

        // Inputs stay short, like AFL's: the bugs worth finding need a few lines, not megabytes.
        return bytes.Count > 4096 ? bytes.GetRange(0, 4096).ToArray() : [.. bytes];
    }
}
