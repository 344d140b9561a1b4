using System;
using System.Collections.Generic;

namespace Sample
{
    public class Counter
    {
        private readonly Dictionary<string, int> counts = new Dictionary<string, int>();

        public void Add(string word)
        {
            counts.TryGetValue(word, out var n);
            counts[word] = n + 1;
        }
    }
}
