<?php

namespace Sample;

function slugify(string $title): string
{
    $slug = strtolower(trim($title));
    $slug = preg_replace('/[^a-z0-9]+/', '-', $slug);
    return trim($slug, '-');
}

class Greeter
{
    public function hello(string $name): string
    {
        return "Hello, " . $name;
    }
}
