-- The role that watches, plays back and exports is called officer (cán bộ
-- trực), as at the ward's police post.
UPDATE users SET role = 'officer' WHERE role = 'operator';
