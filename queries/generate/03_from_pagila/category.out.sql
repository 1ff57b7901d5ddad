COPY (SELECT category_id, name, last_update FROM category) TO STDOUT
