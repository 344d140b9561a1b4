module Sample
  class Counter
    def initialize
      @counts = Hash.new(0)
    end

    def add(word)
      @counts[word] += 1
      self
    end

    def top(n = 3)
      @counts.sort_by { |_, c| -c }.first(n)
    end
  end
end
